"""The property table and the scope it judges, against recorded Resource Graph rows.

Rows as the management models name the properties (tests/support/recordings/services.json
says which); the recording passes, each failure changes one field. Also what every
resource rule shares (posture.rules.judge): an empty scope, the app's own site missing,
and a resource the app's settings name that the scope does not show are ``unknown``.
"""

from __future__ import annotations

from typing import Any

import pytest

from posture.model import Status
from tests.support import recordings
from tests.support.cloud import StubCloud

REC = recordings.load("services")
INDEX = {row["name"]: i for i, row in enumerate(REC["resource_graph"])}
TABLE = ("APP-DEPLOY-STORAGE", "LOG-LOCALAUTH", "DATA-LOCALAUTH", "EG-LOCALAUTH", "APP-IDENTITY",
         "STG-SHAREDKEY", "KV-RBAC", "KV-PROTECT")  # fmt: skip


def _prop(name: str, *field: str | int) -> list[Any]:
    return ["resource_graph", INDEX[name], "properties", *field]


def _judge(stub: StubCloud, recording: dict[str, Any], *rule_ids: str, **env: str) -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(*rule_ids, **env)


def test_the_recorded_services_pass_every_table_rule(stub: StubCloud) -> None:
    results = _judge(stub, REC, *TABLE)
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(TABLE, Status.PASS)


BREAKS = [
    ("Flex package pulled with a connection string",
     _prop("func-app", "functionAppConfig", "deployment", "storage", "authentication", "type"),
     "StorageAccountConnectionString", "APP-DEPLOY-STORAGE", "func-app",
     "functionAppConfig.deployment.storage.authentication.type"),
    ("workspace takes keys", _prop("log-app", "features", "disableLocalAuth"), False,
     "LOG-LOCALAUTH", "log-app", "features.disableLocalAuth"),
    ("Service Bus takes keys", _prop("sb-app", "disableLocalAuth"), False, "DATA-LOCALAUTH",
     "sb-app", "disableLocalAuth"),
    ("SQL takes passwords", _prop("sql-app", "administrators", "azureADOnlyAuthentication"), False,
     "DATA-LOCALAUTH", "sql-app", "administrators.azureADOnlyAuthentication"),
    ("Event Grid topic takes keys", _prop("evgt-app", "disableLocalAuth"), False, "EG-LOCALAUTH",
     "evgt-app", "disableLocalAuth"),
    ("Event Grid domain unset", _prop("evgd-app", "disableLocalAuth"), None, "EG-LOCALAUTH",
     "evgd-app", "disableLocalAuth"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "rule_id", "resource", "prop"), BREAKS, ids=[b[0] for b in BREAKS]
)
def test_each_changed_property_fails_its_rule_naming_resource_and_property(
    stub: StubCloud, case: str, path: list[Any], value: Any, rule_id: str, resource: str, prop: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), rule_id)[rule_id]
    assert result.status is Status.FAIL, case
    assert [(e["resource"], e["property"]) for e in result.evidence] == [(resource, prop)]
    assert result.evidence[0]["resource_id"] == REC["resource_graph"][INDEX[resource]]["id"]


def test_a_site_without_flex_config_is_not_judged_on_its_deployment_storage(
    stub: StubCloud,
) -> None:
    plain = recordings.derive(REC, _prop("func-app", "functionAppConfig"), None)
    result = _judge(stub, plain, "APP-DEPLOY-STORAGE")["APP-DEPLOY-STORAGE"]
    assert result.status is Status.PASS
    assert "no Flex Consumption app(s) in scope" in result.message


def test_an_empty_scope_is_unknown_never_a_pass(stub: StubCloud) -> None:
    """A typo in POSTURE_RESOURCE_GROUPS, or no Reader grant: Resource Graph answers with no
    rows, and no rule may read that as "no storage account at fault"."""
    results = _judge(stub, recordings.derive(REC, ["resource_graph"], []), *TABLE,
                     "APP-BASICAUTH", "MI-LEAST-PRIVILEGE", "KV-AUDIT")  # fmt: skip
    assert {r.status for r in results.values()} == {Status.UNKNOWN}
    message = results["STG-SHAREDKEY"].message
    assert "Resource Graph showed no resource in subscription(s)" in message
    assert "resource group(s) rg-app" in message


def test_the_apps_own_site_missing_from_the_scope_is_unknown(stub: StubCloud) -> None:
    results = _judge(stub, REC, "STG-SHAREDKEY", "APP-IDENTITY", WEBSITE_SITE_NAME="func-prod")
    for result in results.values():
        assert result.status is Status.UNKNOWN
        assert "the app's own site func-prod is not among the 9 resource(s)" in result.message
    assert _judge(stub, REC, "APP-IDENTITY", WEBSITE_SITE_NAME="func-app")["APP-IDENTITY"].status \
        is Status.PASS  # fmt: skip


def test_a_resource_the_apps_settings_name_outside_the_scope_is_unknown(stub: StubCloud) -> None:
    named = {
        "Orders__fullyQualifiedNamespace": "sb-orders.servicebus.windows.net",
        "AzureWebJobsStorage__blobServiceUri": "https://sthostapp.blob.core.windows.net/",
    }
    result = _judge(stub, REC, "DATA-LOCALAUTH", **named)["DATA-LOCALAUTH"]
    assert result.status is Status.UNKNOWN
    assert "sb-orders (Orders__fullyQualifiedNamespace)" in result.message
    in_scope = {**named, "Orders__fullyQualifiedNamespace": "sb-app.servicebus.windows.net"}
    assert _judge(stub, REC, "DATA-LOCALAUTH", **in_scope)["DATA-LOCALAUTH"].status is Status.PASS


def test_a_named_resource_at_fault_fails_even_when_another_is_unseen(stub: StubCloud) -> None:
    broken = recordings.derive(REC, _prop("sb-app", "disableLocalAuth"), False)
    sql = {"Orders__fullyQualifiedNamespace": "sb-app.servicebus.windows.net",
           "Reports": "Server=tcp:sql-reports.database.windows.net,1433;Database=r;"
                      "Authentication=Active Directory Managed Identity"}  # fmt: skip
    result = _judge(stub, broken, "DATA-LOCALAUTH", **sql)["DATA-LOCALAUTH"]
    assert result.status is Status.FAIL
    assert {e["resource"] for e in result.evidence} == {"sb-app", "sql-reports"}
    unseen = [e for e in result.evidence if e.get("unseen")]
    assert [(e["resource"], e["setting"]) for e in unseen] == [("sql-reports", "Reports")]
