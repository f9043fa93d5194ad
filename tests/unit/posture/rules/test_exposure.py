"""NET-PUBLIC and STG-KEY-HYGIENE against recorded Resource Graph rows.

Properties as the management models name them: Microsoft.Storage/storageAccounts 2023-05-01
(azure-mgmt-storage StorageAccount: publicNetworkAccess, networkAcls.defaultAction,
defaultToOAuthAuthentication, allowCrossTenantReplication, keyPolicy.keyExpirationPeriodInDays,
sasPolicy.sasExpirationPeriod "d.hh:mm:ss" and expirationAction Log|Block), Key Vault
2023-07-01, Microsoft.Web/sites 2024-04-01 and Microsoft.Insights/components 2020-02-02
(publicNetworkAccessForIngestion/ForQuery). The recording passes in private mode; each
failure changes one field.
"""

from __future__ import annotations

from typing import Any

import pytest

from posture.model import Status
from posture.rules.exposure import span_days
from tests.support import recordings
from tests.support.cloud import StubCloud

REC = recordings.load("exposure")
INDEX = {row["name"]: i for i, row in enumerate(REC["resource_graph"])}
PRIVATE = {"POSTURE_NETWORK_MODE": "private"}


def _prop(name: str, *field: str | int) -> list[Any]:
    return ["resource_graph", INDEX[name], "properties", *field]


def _judge(stub: StubCloud, recording: dict[str, Any], rule_id: str, **env: str) -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(rule_id, **env)[rule_id]


def test_a_private_deployment_passes_in_private_mode(stub: StubCloud) -> None:
    result = _judge(stub, REC, "NET-PUBLIC", **PRIVATE)
    assert result.status is Status.PASS, result
    assert "5 resource(s) checked" in result.message


OPENINGS = [
    ("app", _prop("func-app", "publicNetworkAccess"), "Enabled", "func-app", "publicNetworkAccess"),
    ("vault behind a deny firewall", _prop("kv-app", "publicNetworkAccess"), "Enabled", "kv-app",
     "publicNetworkAccess"),
    ("storage behind a deny firewall", _prop("stlegacyapp", "publicNetworkAccess"), "Enabled",
     "stlegacyapp", "publicNetworkAccess"),
    ("telemetry query", _prop("appi-app", "publicNetworkAccessForQuery"), "Enabled", "appi-app",
     "publicNetworkAccessForQuery"),
    ("vault endpoint pending", _prop("kv-app", "privateEndpointConnections", 0, "properties",
     "privateLinkServiceConnectionState", "status"), "Pending", "kv-app",
     "privateEndpointConnections"),
    ("storage without endpoint", _prop("stjobsapp", "privateEndpointConnections"), [],
     "stjobsapp", "privateEndpointConnections"),
    ("app without VNet integration", _prop("func-app", "virtualNetworkSubnetId"), None,
     "func-app", "virtualNetworkSubnetId"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "resource", "prop"), OPENINGS, ids=[o[0] for o in OPENINGS]
)
def test_one_open_endpoint_fails_private_mode(
    stub: StubCloud, case: str, path: list[Any], value: str, resource: str, prop: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "NET-PUBLIC", **PRIVATE)
    assert result.status is Status.FAIL, case
    assert [(e["resource"], e["property"]) for e in result.evidence] == [(resource, prop)]


def test_public_access_disabled_closes_an_endpoint_whatever_its_firewall(stub: StubCloud) -> None:
    """Private means publicNetworkAccess Disabled (Azure Policy "Azure Key Vault should disable
    public network access", "Storage accounts should disable public network access"); the
    firewall behind a closed endpoint no longer matters."""
    closed = recordings.derive(REC, _prop("stjobsapp", "networkAcls", "defaultAction"), "Allow")
    assert _judge(stub, closed, "NET-PUBLIC", **PRIVATE).status is Status.PASS


def test_public_mode_records_the_exposure_and_unset_mode_is_skipped(stub: StubCloud) -> None:
    opened = recordings.derive(REC, _prop("func-app", "publicNetworkAccess"), "Enabled")
    result = _judge(stub, opened, "NET-PUBLIC", POSTURE_NETWORK_MODE="public")
    assert result.status is Status.PASS
    assert [e["resource"] for e in result.evidence] == ["func-app"]
    assert _judge(stub, opened, "NET-PUBLIC").status is Status.SKIPPED


def test_a_mode_that_is_neither_is_an_error_naming_the_setting(stub: StubCloud) -> None:
    result = _judge(stub, REC, "NET-PUBLIC", POSTURE_NETWORK_MODE="hybrid")
    assert result.status is Status.ERROR
    assert "POSTURE_NETWORK_MODE" in result.message


def test_both_accounts_pass_key_hygiene(stub: StubCloud) -> None:
    result = _judge(stub, REC, "STG-KEY-HYGIENE")
    assert result.status is Status.PASS, result


HYGIENE = [
    ("oauth default off", "stjobsapp", ["defaultToOAuthAuthentication"], False),
    ("cross-tenant replication", "stjobsapp", ["allowCrossTenantReplication"], True),
    ("replication unset", "stjobsapp", ["allowCrossTenantReplication"], None),
    ("keys live 180 days", "stlegacyapp", ["keyPolicy", "keyExpirationPeriodInDays"], 180),
    ("SAS live 30 days", "stlegacyapp", ["sasPolicy", "sasExpirationPeriod"], "30.00:00:00"),
    ("SAS expiry only logged", "stlegacyapp", ["sasPolicy", "expirationAction"], "Log"),
    ("no SAS policy", "stlegacyapp", ["sasPolicy"], None),
]


@pytest.mark.parametrize(("case", "name", "field", "value"), HYGIENE, ids=[h[0] for h in HYGIENE])
def test_each_changed_field_fails_key_hygiene(
    stub: StubCloud, case: str, name: str, field: list[str], value: Any
) -> None:
    result = _judge(stub, recordings.derive(REC, _prop(name, *field), value), "STG-KEY-HYGIENE")
    assert result.status is Status.FAIL, case
    assert {e["resource"] for e in result.evidence} == {name}


def test_an_account_refusing_shared_keys_needs_no_key_or_sas_policy(stub: StubCloud) -> None:
    assert "keyPolicy" not in REC["resource_graph"][INDEX["stjobsapp"]]["properties"]
    keyless = recordings.derive(REC, _prop("stlegacyapp", "allowSharedKeyAccess"), False)
    keyless = recordings.derive(keyless, _prop("stlegacyapp", "sasPolicy"), None)
    assert _judge(stub, keyless, "STG-KEY-HYGIENE").status is Status.PASS


def test_refused_is_an_error(stub: StubCloud) -> None:
    refused = recordings.model(REC)
    refused.arm_failure = (403, "AuthorizationFailed")
    stub.use(refused)
    results = stub.evaluate("NET-PUBLIC", "STG-KEY-HYGIENE", **PRIVATE)
    assert {r.status for r in results.values()} == {Status.ERROR}


def test_timespans() -> None:
    assert span_days("7.00:00:00") == 7
    assert span_days("01:00:00") == pytest.approx(1 / 24)
    assert span_days("1.12:00:00") == 1.5
    assert span_days("P7D") is None
