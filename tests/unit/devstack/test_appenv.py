"""Storage connections for an app run on the devstack.

Sources: identity-based connections (learn.microsoft.com/azure/azure-functions/
functions-reference, "Connecting to host storage with an identity":
AzureWebJobsStorage__blobServiceUri / __queueServiceUri / __tableServiceUri) and the
Azurite docs ("UseDevelopmentStorage=true" is the emulator shortcut).
"""

from __future__ import annotations

from devstack.appenv import rewrite_loopback_url, with_storage_connections

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
