"""The role assignment module: valid Bicep whose resources ARM accepts, the docs' roles for
each binding, on the tightest scope the app names.

Its text is parsed with pycep-parser and each resource is held to the Azure SDK model of its
API version by tests/infra/bicep_check.py (the project's own template checker)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrate.fix.rolesmodule import Need, render
from migrate.roles import ROLE_IDS, for_binding
from tests.infra import bicep_check
from tests.infra.conftest import parse_infra_copy

#: Types the project's checker has no SDK model for (their packages are not installed).
UNMODELLED = (
    "Microsoft.ServiceBus/",
    "Microsoft.EventHub/",
    "Microsoft.DocumentDB/",
    "Microsoft.CognitiveServices/",
    "tableServices/tables",
)


def needs() -> list[Need]:
    return [
        Need("storage", "AzureWebJobsStorage", ("Storage Blob Data Owner",), None, "host storage"),
        Need(
            "storage-queue",
            "Orders",
            for_binding("storage-queue", "trigger").roles,
            "orders",
            "queue trigger",
        ),
        Need(
            "storage-blob",
            "Orders",
            for_binding("storage-blob", "trigger").roles,
            "uploads",
            "blob trigger",
        ),
        Need(
            "storage-table",
            "Orders",
            for_binding("storage-table", "out").roles,
            "audit",
            "table output",
        ),
        Need(
            "servicebus",
            "Bus",
            for_binding("servicebus", "trigger").roles,
            "in",
            "Service Bus trigger",
        ),
        Need("eventhubs", "Hub", for_binding("eventhubs", "out").roles, None, "Event Hubs output"),
        Need("cosmosdb", "Docs", for_binding("cosmosdb", "in").roles, None, "Cosmos DB input"),
        Need("third-party", "vault", ("Key Vault Secrets User",), None, "a partner key"),
        Need("appinsights", "ai", ("Monitoring Metrics Publisher",), None, "telemetry"),
    ]


@pytest.mark.slow
def test_the_module_parses_and_its_resources_match_the_sdk_models(tmp_path: Path) -> None:
    text, rows = render(needs())
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "migrate-roles.bicep").write_text(text)
    parsed = parse_infra_copy(tmp_path)
    tree = parsed["bicep"]["infra/migrate-roles.bicep"]["tree"]
    findings = bicep_check.check_resources("infra/migrate-roles.bicep", tree, text)
    real = [f for f in findings if not any(marker in str(f) for marker in UNMODELLED)]
    assert real == [], real
    assert len(rows) == len(
        re.findall(r"'Microsoft.Authorization/roleAssignments@", text)
    ) + text.count("sqlRoleAssignments@")


def test_each_role_is_granted_on_the_entity_the_binding_names() -> None:
    text, rows = render(needs())
    granted = {(r["role"], r["scope"]) for r in rows}
    assert ("Storage Queue Data Message Processor", "queue orders (Orders)") in granted
    assert ("Storage Blob Data Owner", "container uploads (Orders)") in granted
    assert ("Storage Queue Data Contributor", "container uploads (Orders)") in granted
    assert ("Azure Service Bus Data Receiver", "queue in (Bus)") in granted
    assert ("Azure Event Hubs Data Sender", "namespace (Hub)") in granted
    assert ("Cosmos DB Built-in Data Reader", "Cosmos DB account (Docs)") in granted
    for role, role_id in ROLE_IDS.items():
        if any(r["role"] == role for r in rows):
            assert f"'{role_id}'" in text
    for line in text.splitlines():
        if line.startswith("@description("):
            assert re.fullmatch(r"@description\('(?:[^'\\]|\\.)*'\)", line), line


def test_the_role_ids_agree_with_the_reference_the_infra_tests_hold_bicep_to() -> None:
    """Two tables of built-in role ids, one for other apps' fixes and one for this app's
    Bicep, read from the same reference page: a role both name has one id."""
    from tests.support.azure_roles import ROLE_IDS as REFERENCE

    shared = ROLE_IDS.keys() & REFERENCE.keys()
    assert len(shared) >= 8
    assert {name: ROLE_IDS[name] for name in shared} == {name: REFERENCE[name] for name in shared}
