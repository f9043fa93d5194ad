"""Storage connections for an app run on the devstack.

Sources: identity-based connections (learn.microsoft.com/azure/azure-functions/
functions-reference, "Connecting to host storage with an identity":
AzureWebJobsStorage__blobServiceUri / __queueServiceUri / __tableServiceUri) and the
Azurite docs ("UseDevelopmentStorage=true" is the emulator shortcut).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.appenv import (
    PINNED_CREDENTIAL,
    build_app_env,
    rewrite_loopback_url,
    with_storage_connections,
)

URIS = {"blob": "https://b/acct", "queue": "https://q/acct", "table": "https://t/acct"}


def test_development_storage_becomes_identity_based() -> None:
    env, rewritten = with_storage_connections(
        {
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            "Other": "usedevelopmentstorage=true;",
        },
        **URIS,
    )
    assert rewritten == ["AzureWebJobsStorage", "Other"]
    assert "AzureWebJobsStorage" not in env
    assert env["AzureWebJobsStorage__queueServiceUri"] == "https://q/acct"
    assert env["Other__tableServiceUri"] == "https://t/acct"


def test_host_storage_is_added_only_when_absent() -> None:
    env, rewritten = with_storage_connections({}, **URIS)
    assert rewritten == []
    assert env["AzureWebJobsStorage__blobServiceUri"] == "https://b/acct"
    kept, _ = with_storage_connections({"AzureWebJobsStorage__blobServiceUri": "mine"}, **URIS)
    assert kept == {"AzureWebJobsStorage__blobServiceUri": "mine"}
    secret_string = {"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=a"}
    assert with_storage_connections(secret_string, **URIS)[0] == secret_string


def test_the_credential_chain_is_pinned_as_in_azure_and_a_shell_secret_stays_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """azure-identity 1.27 (pinned) reads AZURE_TOKEN_CREDENTIALS: a single credential's name
    there makes DefaultAzureCredential build that credential alone (since 1.24;
    azure/identity/_credentials/default.py and _internal/utils.py,
    process_credential_exclusions). infra/ sets the same value in Azure."""
    from azure.identity import DefaultAzureCredential

    monkeypatch.setenv("AZURE_CLIENT_SECRET", "in-the-developers-shell")
    env = build_app_env(
        {"KEY_VAULT_URI": "https://127.0.0.1:7073/"},
        port_map={},
        identity_endpoint="http://127.0.0.1:1/msi/token",
        identity_header="header",
        ca_bundle=tmp_path / "ca.pem",
    )
    assert env["AZURE_TOKEN_CREDENTIALS"] == PINNED_CREDENTIAL == "ManagedIdentityCredential"
    assert "AZURE_CLIENT_SECRET" not in env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    chain = DefaultAzureCredential().credentials
    assert [type(c).__name__ for c in chain] == ["ManagedIdentityCredential"]


def test_a_setting_the_app_would_refuse_stops_the_stack_naming_it(tmp_path: Path) -> None:
    """local.settings.json as the devstack loads it: a credential variable or a keyed
    connection string stops `devstack up` before the host starts, one line, no value."""
    import json
    import secrets

    from devstack.appenv import SettingsFileError, load_local_settings, refuse_unsafe

    value = secrets.token_urlsafe(24)
    source = tmp_path / "local.settings.json"
    source.write_text(json.dumps({"Values": {"AZURE_CLIENT_SECRET": value, "X": "1"}}))
    env = build_app_env(
        load_local_settings(source),
        port_map={},
        identity_endpoint="http://127.0.0.1:1/msi/token",
        identity_header=secrets.token_urlsafe(32),
        ca_bundle=tmp_path / "ca.pem",
    )
    with pytest.raises(SettingsFileError) as caught:
        refuse_unsafe(env, source=source)
    assert "local.settings.json" in str(caught.value)
    assert "AZURE_CLIENT_SECRET" in str(caught.value)
    assert value not in str(caught.value)
    del env["AZURE_CLIENT_SECRET"]
    refuse_unsafe(env, source=source)  # the devstack's own variables pass


def test_localhost_settings_point_at_127_0_0_1_on_the_port_in_use() -> None:
    """``SecretClient`` refuses the vault's challenge when the host it called has no parent
    domain (its ``verify_challenge_resource`` check, azure-keyvault-secrets
    ``_shared/challenge_auth_policy.py``), so a setting naming ``localhost`` is moved to
    127.0.0.1, where the check passes; other URLs are left alone."""
    ports = {7073: 40001, 10000: 40002}
    assert rewrite_loopback_url("https://localhost:7073/", ports) == "https://127.0.0.1:40001/"
    assert (
        rewrite_loopback_url("https://localhost:10000/devstoreaccount1", ports)
        == "https://127.0.0.1:40002/devstoreaccount1"
    )
    assert rewrite_loopback_url("https://localhost:9999/", ports) == "https://localhost:9999/"
    assert rewrite_loopback_url("https://example.com:7073/", ports) == "https://example.com:7073/"


def test_a_measured_run_reaches_the_host_and_nothing_else_of_the_shell_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """coverage.py's subprocess support starts measuring any Python that finds
    COVERAGE_PROCESS_CONFIG (or COVERAGE_PROCESS_START) in its environment (coverage's
    control.py, process_startup): the host gets them, so make test measures the app's code
    in the host too; any other variable of the shell stays out."""
    monkeypatch.setenv("COVERAGE_PROCESS_CONFIG", ":data:the-config")
    monkeypatch.setenv("COVERAGE_PROCESS_START", str(tmp_path / "pyproject.toml"))
    monkeypatch.setenv("SOMETHING_ELSE", "of the shell")
    env = build_app_env(
        {},
        port_map={},
        identity_endpoint="http://127.0.0.1:1/msi/token",
        identity_header="header",
        ca_bundle=tmp_path / "ca.pem",
    )
    assert env["COVERAGE_PROCESS_CONFIG"] == ":data:the-config"
    assert env["COVERAGE_PROCESS_START"] == str(tmp_path / "pyproject.toml")
    assert "SOMETHING_ELSE" not in env
