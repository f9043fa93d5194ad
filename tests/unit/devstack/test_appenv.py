"""Storage connections for an app run on the devstack.

Sources: identity-based connections (learn.microsoft.com/azure/azure-functions/
functions-reference, "Connecting to host storage with an identity":
AzureWebJobsStorage__blobServiceUri / __queueServiceUri / __tableServiceUri) and the
Azurite docs ("UseDevelopmentStorage=true" is the emulator shortcut).
"""

from __future__ import annotations

from devstack.appenv import with_storage_connections

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
