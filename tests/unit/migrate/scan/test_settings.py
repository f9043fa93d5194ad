"""Settings files: what each value holds decides the finding, never shown."""

from __future__ import annotations

import json
import random

import pytest

from migrate.model import Severity
from migrate.scan.settings import SettingEntry, identity_prefix, is_placeholder, judge
from tests.support import migrate_fixtures, secret_shapes

RNG = random.Random(7)


def one(
    name: str, value: str, secret_names: dict[str, str] | None = None
) -> tuple[str, str, Severity] | None:
    found = judge(
        SettingEntry("local.settings.json", 3, name, value), secret_names=secret_names or {}
    )
    return None if found is None else (found.rule, found.service, found.severity)


def hit(name: str, value: str) -> tuple[str, str, Severity]:
    found = one(name, value)
    assert found is not None, f"{name} was not reported"
    return found


@pytest.mark.parametrize(
    "make",
    [
        secret_shapes.storage_connection_string_planted,
        secret_shapes.messaging_connection_string_planted,
        secret_shapes.cosmos_key_planted,
        secret_shapes.sas_connection_string_planted,
    ],
)
def test_a_connection_string_with_a_real_shaped_key_is_critical(make) -> None:
    planted = make(RNG)
    found = one("Orders", planted.text)
    assert found is not None
    assert found[0] == "MIG-SET-KEYED"
    assert found[2] == Severity.CRITICAL


def test_services_come_from_the_value_and_the_name() -> None:
    key = secret_shapes.storage_account_key(RNG)
    field = secret_shapes.ACCOUNT_KEY
    assert (
        hit("Cosmos", f"AccountEndpoint=https://a.documents.azure.com:443/;{field}{key}")[1]
        == "cosmosdb"
    )
    assert (
        hit("BlobStore", f"DefaultEndpointsProtocol=https;AccountName=a;{field}{key}")[1]
        == "storage-blob"
    )
    messaging = secret_shapes.messaging_connection_string_planted(RNG).text
    assert hit("EventHubConnection", messaging)[1] == "eventhubs"


def test_placeholders_the_emulator_and_identity_settings() -> None:
    assert one("MyStorageConnectionString", "<Storage Connection String>") == (
        "MIG-SET-SECRET",
        "storage",
        Severity.MEDIUM,
    )
    assert one("AzureWebJobsStorage", "UseDevelopmentStorage=true") == (
        "MIG-SET-HOSTSTORAGE",
        "storage",
        Severity.LOW,
    )
    assert one("AzureWebJobsStorage__blobServiceUri", "https://a.blob.core.windows.net") is None
    assert one("Jobs__clientId", "00000000-0000-4000-8000-000000000001") is None
    assert one("FUNCTIONS_WORKER_RUNTIME", "python") is None
    assert identity_prefix("Orders__fullyQualifiedNamespace") == "Orders"
    assert identity_prefix("Orders__accountKey") is None
    assert one("Orders__accountKey", "") == ("MIG-SET-SECRET", "third-party", Severity.MEDIUM)
    assert is_placeholder("")
    assert is_placeholder("{storage account key}")
    assert not is_placeholder("abc")


def test_a_setting_the_code_uses_as_a_secret_is_one_whatever_its_name() -> None:
    value = migrate_fixtures.cognitive_services_key(RNG)
    assert one("VisionSubscription", value) is None
    found = one("VisionSubscription", value, {"VisionSubscription": "cognitiveservices"})
    assert found == ("MIG-SET-SECRET", "cognitiveservices", Severity.HIGH)


def test_key_vault_references_for_azure_services_only() -> None:
    reference = "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x/)"
    assert hit("ServiceBusConnection", reference)[0] == "MIG-SET-KVREF"
    assert one("PARTNER_API_KEY", reference) is None  # a third-party secret: the right place


def test_an_app_settings_export_is_read_like_local_settings(tmp_path) -> None:
    from migrate.scan.runner import scan

    planted = secret_shapes.storage_connection_string_planted(RNG)
    export = [
        {"name": "AzureWebJobsStorage", "value": planted.text, "slotSetting": False},
        {"name": "FUNCTIONS_WORKER_RUNTIME", "value": "python", "slotSetting": False},
    ]
    (tmp_path / "exported-settings.json").write_text(json.dumps(export, indent=2))
    found = scan(tmp_path).findings
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("MIG-SET-KEYED", 3, Severity.CRITICAL)
    ]
    assert planted.value not in repr(found)
