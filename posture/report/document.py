"""The posture report as one JSON document (schema in :mod:`posture.report.schema`).

The JSON document is the report; Markdown and HTML are renderings of it, so a stored
report can be shown again in any format without running the rules. Results keep
catalogue order; the summary counts them by status, by severity and failures by
severity, which is what a trend or a CI gate needs.
"""

from __future__ import annotations

from typing import Any, Final

from posture.context import CheckContext
from posture.model import Severity, Status
from posture.runner import Outcome, Run
from shared import __version__
from shared.identity import identity_source
from shared.settings import POSTURE_GRAPH_ENABLED, POSTURE_SUBSCRIPTION_IDS

SCHEMA_VERSION: Final = "1.0"
REPORT_KIND: Final = "posture-report"
STATUS_LABELS: Final = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "skipped": "SKIPPED",
}


def _result(outcome: Outcome) -> dict[str, Any]:
    rule, result = outcome.rule, outcome.result
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity.value,
        "category": rule.category.value,
        "status": result.status.value,
        "message": result.message,
        "evidence": [dict(item) for item in result.evidence],
        "remediation": rule.remediation,
        "reads": rule.reads,
        "permission": rule.permission,
        "docs": rule.docs,
        "duration_ms": outcome.duration_ms,
    }


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status, by severity (each split by status) and failures by severity."""
    statuses = [s.value for s in Status]
    by_status = dict.fromkeys(statuses, 0)
    by_severity = {sev.value: dict.fromkeys(statuses, 0) for sev in Severity}
    for item in results:
        by_status[item["status"]] += 1
        by_severity[item["severity"]][item["status"]] += 1
    failed = {sev: counts["fail"] for sev, counts in by_severity.items()}
    return {
        "total": len(results),
        "by_status": by_status,
        "by_severity": by_severity,
        "failed": failed,
    }


def build_report(run: Run, context: CheckContext) -> dict[str, Any]:
    """The JSON document of one run."""
    results = [_result(outcome) for outcome in run.outcomes]
    identity = identity_source(context.env)
    return {
        "kind": REPORT_KIND,
        "schema_version": SCHEMA_VERSION,
        "generated_at": run.started.isoformat(),
        "duration_ms": run.duration_ms,
        "environment": {
            "in_azure": context.in_azure,
            "site": context.setting("WEBSITE_SITE_NAME"),
            "app_version": __version__,
            "identity": identity,
            "control_plane": context.configured(POSTURE_SUBSCRIPTION_IDS),
            "graph": bool(context.value(POSTURE_GRAPH_ENABLED)),
        },
        "summary": summarize(results),
        "results": results,
    }


def headline(report: dict[str, Any]) -> str:
    """One line for logs and page titles: counts only."""
    summary = report["summary"]
    failed = ", ".join(f"{n} {sev}" for sev, n in summary["failed"].items() if n) or "none"
    counts = summary["by_status"]
    return (
        f"posture: {counts['pass']} pass, {counts['fail']} fail, {counts['error']} error, "
        f"{counts['skipped']} skipped of {summary['total']} rules; failed by severity: {failed}"
    )
