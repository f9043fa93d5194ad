"""KV-AUDIT, DEPLOY-SECRETS and LOG-SECRETS against recorded ARM and Logs answers.

Shapes: Diagnostic Settings - List (Microsoft.Insights 2021-05-01-preview; azure-mgmt-monitor
DiagnosticSettingsResource, LogSettings), Deployments - List By Resource Group
(Microsoft.Resources 2024-03-01; azure-mgmt-resource DeploymentExtended: parameters and
outputs as ``{name: {type, value}}``) and the Logs query API v1 (``POST
/v1/workspaces/{id}/query``: ``tables[].columns/rows``), which LogsQueryClient
(azure-monitor-query 2.0.0) is pointed at with its ``endpoint`` option. The recording passes;
each failure changes one field; the secrets planted in it are built at run time.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from posture.model import Status, get_rule
from posture.report.document import build_report
from posture.runner import run_rules
from tests.support import recordings
from tests.support import secret_shapes as ss
from tests.support.cloud import SUB, StubCloud

REC = recordings.load("auditing")
RG = f"/subscriptions/{SUB}/resourceGroups/rg-app"
VAULT = REC["resource_graph"][0]["id"]
DIAGNOSTICS = f"GET {VAULT}/providers/Microsoft.Insights/diagnosticSettings"
DEPLOYMENTS = f"GET {RG}/providers/Microsoft.Resources/deployments"
WORKSPACE = REC["workspace_id"]
QUERY = f"POST /v1/workspaces/{WORKSPACE}/query"
LOGS = {"POSTURE_LOG_WORKSPACE_ID": WORKSPACE}


def _judge(stub: StubCloud, recording: dict[str, Any], rule_id: str, **env: str) -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(rule_id, **env)[rule_id]


# -- KV-AUDIT -----------------------------------------------------------------------------


def test_a_vault_auditing_to_a_workspace_passes(stub: StubCloud) -> None:
    assert _judge(stub, REC, "KV-AUDIT").status is Status.PASS
    (request,) = stub.requests("diagnosticSettings")
    assert request["query"]["api-version"] == "2021-05-01-preview"


SETTING = ["responses", DIAGNOSTICS, "value", 0, "properties"]
AUDIT_BREAKS = [
    ("audit log off", [*SETTING, "logs", 0, "enabled"], False),
    ("another category", [*SETTING, "logs", 0, "category"], "AzurePolicyEvaluationDetails"),
    ("no destination", [*SETTING, "workspaceId"], None),
    ("no setting", ["responses", DIAGNOSTICS, "value"], []),
]


@pytest.mark.parametrize(("case", "path", "value"), AUDIT_BREAKS, ids=[b[0] for b in AUDIT_BREAKS])
def test_each_changed_field_fails_kv_audit(
    stub: StubCloud, case: str, path: list[Any], value: Any
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "KV-AUDIT")
    assert result.status is Status.FAIL, case
    assert [e["resource"] for e in result.evidence] == ["kv-app"]


def test_the_audit_category_group_counts(stub: StubCloud) -> None:
    grouped = recordings.derive(REC, [*SETTING, "logs", 0, "category"], None)
    grouped = recordings.derive(grouped, [*SETTING, "logs", 0, "categoryGroup"], "audit")
    assert _judge(stub, grouped, "KV-AUDIT").status is Status.PASS


# -- DEPLOY-SECRETS -------------------------------------------------------------------------


def test_clean_deployment_history_passes_across_pages(stub: StubCloud) -> None:
    result = _judge(stub, REC, "DEPLOY-SECRETS")
    assert result.status is Status.PASS, result
    assert "2 deployment(s)" in result.message
    assert [r["query"].get("$skiptoken") for r in stub.requests("/deployments")] == [None, "1"]


@pytest.mark.parametrize(("section", "page", "name"), [
    ("outputs", 1, "uri"), ("parameters", 1, "partnerApiUrl"), ("outputs", 0, "logAnalyticsId"),
])  # fmt: skip
def test_a_secret_in_a_parameter_or_output_fails_without_its_value(
    stub: StubCloud, section: str, page: int, name: str
) -> None:
    secret = ss.storage_connection_string_planted(random.Random(name)).text
    path = ["responses", DEPLOYMENTS, page, "value", 0, "properties", section, name, "value"]
    stub.use(recordings.model(recordings.derive(REC, path, secret)))
    context = stub.context()
    run = run_rules(context, rules=[get_rule("DEPLOY-SECRETS")])
    result = run.outcomes[0].result
    assert result.status is Status.FAIL
    assert {(e["section"], e["name"]) for e in result.evidence} == {(section, name)}
    assert secret not in json.dumps(build_report(run, context))


# -- LOG-SECRETS ----------------------------------------------------------------------------


def test_clean_telemetry_passes_and_the_query_names_the_four_tables(stub: StubCloud) -> None:
    result = _judge(stub, REC, "LOG-SECRETS", **LOGS)
    assert result.status is Status.PASS, result
    assert result.evidence == ({"rows": 5, "truncated": False, "partial": False},)
    (request,) = stub.requests(f"/workspaces/{WORKSPACE}/query")
    query = request["body"]["query"]
    assert all(t in query for t in ("AppTraces", "AppExceptions", "AppDependencies", "AppRequests"))
    assert request["body"]["timespan"] == "PT86400.0S"  # 24 h, as the SDK writes it


ROWS = ["responses", QUERY, "tables", 0, "rows"]
COLUMNS = [c["name"] for c in REC["responses"][QUERY]["tables"][0]["columns"]]
LOG_PLANTS = [
    # (row, table, column)
    (0, "AppTraces", "Message"),
    (1, "AppRequests", "Url"),
    (3, "AppDependencies", "Data"),
    (4, "AppExceptions", "Details"),
]


@pytest.mark.parametrize(("row", "table", "column"), LOG_PLANTS)
def test_a_secret_in_one_cell_fails_naming_table_and_column_never_the_value(
    stub: StubCloud, row: int, table: str, column: str
) -> None:
    index = COLUMNS.index(column)
    secret = ss.entra_client_secret(random.Random(column))
    cell = REC["responses"][QUERY]["tables"][0]["rows"][row][index] or ""
    stub.use(recordings.model(recordings.derive(REC, [*ROWS, row, index], f"{cell} {secret}")))
    context = stub.context(**LOGS)
    run = run_rules(context, rules=[get_rule("LOG-SECRETS")])
    result = run.outcomes[0].result
    assert result.status is Status.FAIL
    (finding,) = [e for e in result.evidence if "table" in e]
    assert (finding["table"], finding["column"], finding["count"]) == (table, column, 1)
    assert len(str(finding["fingerprint"])) == 12
    assert secret not in json.dumps(build_report(run, context))


def test_a_partial_answer_without_findings_is_an_error(stub: StubCloud) -> None:
    partial = recordings.derive(
        REC, ["responses", QUERY, "error"],
        {"code": "PartialError", "message": "There were some errors when processing your query.",
         "details": [{"code": "EngineError",
                      "message": "Query result set has exceeded the limit."}]},
    )  # fmt: skip
    result = _judge(stub, partial, "LOG-SECRETS", **LOGS)
    assert result.status is Status.ERROR
    assert result.evidence[0]["partial"] is True


def _rows(count: int) -> list[Any]:
    rows: list[Any] = REC["responses"][QUERY]["tables"][0]["rows"]
    return (rows * (count // len(rows) + 1))[:count]


@pytest.mark.slow
def test_exactly_the_bound_is_a_complete_scan(stub: StubCloud) -> None:
    from posture.sources import logs

    result = _judge(stub, recordings.derive(REC, ROWS, _rows(logs.MAX_ROWS)), "LOG-SECRETS", **LOGS)
    assert result.status is Status.PASS
    assert result.evidence[0] == {"rows": logs.MAX_ROWS, "truncated": False, "partial": False}


@pytest.mark.slow
def test_more_rows_than_the_bound_is_unknown_never_a_pass(stub: StubCloud) -> None:
    """The query asks for one row more than it scans, newest first: a row past the bound
    means rows went unscanned, and a sample is not a proof."""
    from posture.sources import logs

    many = recordings.derive(REC, ROWS, _rows(logs.MAX_ROWS + 1))
    result = _judge(stub, many, "LOG-SECRETS", **LOGS)
    assert result.status is Status.UNKNOWN
    assert result.evidence[0]["truncated"] is True
    assert "POSTURE_LOG_LOOKBACK_HOURS" in result.message
    (request,) = stub.requests("/query")
    assert "order by TimeGenerated desc" in request["body"]["query"]
    assert f"take {logs.MAX_ROWS + 1}" in request["body"]["query"]


@pytest.mark.slow
def test_a_secret_past_the_bound_of_a_truncated_scan_still_fails(stub: StubCloud) -> None:
    from posture.sources import logs

    planted = ss.jwt_like(random.Random("bound"))
    rows = _rows(logs.MAX_ROWS + 1)
    at = COLUMNS.index("Message")
    rows[5] = [*rows[5][:at], f"token {planted}", *rows[5][at + 1 :]]
    result = _judge(stub, recordings.derive(REC, ROWS, rows), "LOG-SECRETS", **LOGS)
    assert result.status is Status.FAIL
    assert planted not in json.dumps([dict(e) for e in result.evidence])


def test_a_workspace_without_app_rows_is_unknown(stub: StubCloud) -> None:
    result = _judge(stub, recordings.derive(REC, ROWS, []), "LOG-SECRETS", **LOGS)
    assert result.status is Status.UNKNOWN
    assert "returned no app telemetry" in result.message


def test_refused_and_unconfigured(stub: StubCloud) -> None:
    refused = recordings.model(REC)
    refused.logs_failure = (403, "InsufficientAccessError")
    stub.use(refused)
    result = stub.evaluate("LOG-SECRETS", **LOGS)["LOG-SECRETS"]
    assert result.status is Status.ERROR
    assert "HTTP 403" in result.message
    unconfigured = stub.evaluate("LOG-SECRETS")["LOG-SECRETS"]
    assert unconfigured.status is Status.UNKNOWN
    assert "POSTURE_LOG_WORKSPACE_ID is not set" in unconfigured.message


def test_no_deployment_history_at_all_is_unknown(stub: StubCloud) -> None:
    """Every deployed resource group holds at least the deployment that created it: an empty
    history means the wrong scope (or a deleted history), never "no secret in it"."""
    empty = recordings.derive(REC, ["responses", DEPLOYMENTS], [{"value": []}])
    result = _judge(stub, empty, "DEPLOY-SECRETS")
    assert result.status is Status.UNKNOWN
    assert "no deployment history at" in result.message
