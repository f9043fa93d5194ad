"""Nothing in infra/ creates, reads, builds or outputs a secret.

Two layers: a text scan of every file under infra/ for the ways a key slips into a
template (list*() accessors, key-based connection strings, SAS tokens, client secrets),
and checks on the parsed Bicep: no secure value reaches an output, no secret resource is
created, and the settings that make the resources refuse keys are set.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra import bicep_model as bm
from tests.infra.conftest import INFRA

# name -> pattern. Each is a way a key or token gets into a template or a hook script.
FORBIDDEN: dict[str, re.Pattern[str]] = {
    "list*() key/credential accessor (listKeys, listConnectionStrings, listAccountSas...)": (
        re.compile(r"\blist[A-Z][A-Za-z]*\s*\(")
    ),
    "account key in a connection string": re.compile(r"AccountKey\s*="),
    "key-based storage connection string": re.compile(r"DefaultEndpointsProtocol\s*="),
    "shared access signature or key": re.compile(r"SharedAccess(Signature|Key)"),
    "SAS token query parameters": re.compile(r"[?&](sig|sv|se|sp)=[^&\s'\"]"),
    "instrumentation key used as a credential": re.compile(r"InstrumentationKey\s*="),
    "client secret": re.compile(r"client_?secret", re.IGNORECASE),
    "publishing password": re.compile(r"publishingPassword|publishProfile", re.IGNORECASE),
}


def scan(text: str) -> list[str]:
    """Names of the forbidden patterns found in text."""
    return [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]


def infra_files() -> list[str]:
    return sorted(
        p.relative_to(INFRA).as_posix()
        for p in INFRA.rglob("*")
        if p.is_file() and p.suffix in {".bicep", ".json", ".sh", ".ps1", ".yaml", ".yml"}
    )


@pytest.mark.parametrize("relpath", infra_files())
def test_no_key_sas_or_secret_in_infra_file(relpath: str) -> None:
    text = (INFRA / relpath).read_text(encoding="utf-8")
    assert not scan(text), f"{relpath}: {scan(text)}"


@pytest.mark.parametrize(
    "sample",
    [
        "var k = storage." + "listKeys().keys[0].value",
        "x: " + "listConnectionStrings(site.id, '2023-01-01')",
        "'Endpoint=...;Account" + "Key=${key}'",
        "'DefaultEndpoints" + "Protocol=https;AccountName=${name}'",
        "'https://a.blob.core.windows.net/c?sv=2022-11-02&s" + "ig=abc'",
        "APPINSIGHTS: 'Instrumentation" + "Key=${ai.properties.InstrumentationKey}'",
        "clientSecret" + "SettingName: 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET'",
    ],
)
def test_the_scan_catches_what_it_looks_for(sample: str) -> None:
    # The scan above passing means nothing if its patterns cannot match.
    assert scan(sample), f"not caught: {sample}"


def secure_params(tree: dict[str, Any]) -> set[str]:
    return {
        name
        for name, param in tree.get("parameters", {}).items()
        if any(d.get("type") == "secure" for d in param.get("decorators", []))
    }


def test_template_takes_no_secret_input(bicep: dict[str, Any]) -> None:
    found = {path: secure_params(tree) for path, tree in bicep.items() if secure_params(tree)}
    assert not found, f"@secure() parameters (the template should need no secret): {found}"


def test_no_output_carries_a_secure_or_secret_value(bicep: dict[str, Any]) -> None:
    problems = []
    for path, tree in bicep.items():
        secure = secure_params(tree)
        for name, output in tree.get("outputs", {}).items():
            if any(d.get("type") == "secure" for d in output.get("decorators", [])):
                problems.append(f"{path}: output {name} is @secure")
            used = bm.identifiers(output.get("value"))
            if used & secure:
                problems.append(f"{path}: output {name} uses secure params {used & secure}")
            if used & {"ConnectionString", "InstrumentationKey", "primaryKey", "keys"}:
                problems.append(f"{path}: output {name} exposes a key or connection string")
    assert not problems, problems


def test_template_creates_no_secret(bicep: dict[str, Any]) -> None:
    # The partner key is set by a person, never by the template (or its deployment history).
    for path, tree in bicep.items():
        created = list(bm.resources_of_type(tree, "Microsoft.KeyVault/vaults/secrets"))
        assert not created, f"{path} creates a Key Vault secret"
