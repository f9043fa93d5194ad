"""The posture report as one JSON document (schema in :mod:`posture.report.schema`).

The JSON document is the report; Markdown, HTML, SARIF and JUnit are renderings of it,
so a stored report can be shown again in any format without running the rules. Results
keep catalogue order; the summary counts them by status, by severity and failures by
severity, which is what a trend or a CI gate needs.

Waivers (:mod:`posture.waivers`) are applied here, once: a waived result keeps its status
and evidence and gains a ``waiver``; a finding of a failed rule that a waiver's scope names
gains ``waived: true``. The document lists every waiver with its state (``active``,
``expired``) and the baselines the run was held to, with any rule of them it left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Final

from posture.context import CheckContext
from posture.model import Severity, Status
from posture.runner import Outcome, Run
from posture.sources.env import loaded, missing_settings
from posture.waivers import SUBJECT_KEYS, Waiver
from shared import __version__
from shared.identity import identity_source
from shared.settings import POSTURE_GRAPH_ENABLED, POSTURE_SUBSCRIPTION_IDS

SCHEMA_VERSION: Final = "2.0"
REPORT_KIND: Final = "posture-report"
STATUS_LABELS: Final = {
    "pass": "PASS",
    "fail": "FAIL",
    "error": "ERROR",
    "unknown": "UNKNOWN",
    "skipped": "SKIPPED",
}
#: Statuses a gate counts: the rule found a problem, or could not judge.
COUNTED: Final = frozenset({"fail", "error", "unknown"})


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


def _apply(result: dict[str, Any], waivers: list[Waiver]) -> Waiver | None:
    """Mark what ``waivers`` cover in one result; the waiver that covers all of it, if any."""
    if result["status"] not in COUNTED or not waivers:
        return None
    whole = next((w for w in waivers if w.scope == "*"), None)
    if whole is not None:
        return whole
    if result["status"] != "fail":
        return None  # a gap is accepted for the whole rule only
    subjects = [
        e
        for e in result["evidence"]
        if not e.get("unseen") and any(e.get(k) is not None for k in SUBJECT_KEYS)
    ]
    covering: Waiver | None = None
    for item in subjects:
        match = next((w for w in waivers if w.covers(item)), None)
        if match is not None:
            item["waived"] = True
            covering = covering or match
    return covering if subjects and all(e.get("waived") for e in subjects) else None


def apply_waivers(
    results: list[dict[str, Any]], waivers: Iterable[Waiver], today: date
) -> list[dict[str, Any]]:
    """Attach every active waiver to what it covers; the waivers' list with their states."""
    listed: list[dict[str, Any]] = []
    active = [w for w in waivers if not w.expired(today)]
    for waiver in waivers:
        state = "expired" if waiver.expired(today) else "active"
        listed.append({**waiver.as_dict(), "state": state, "applied_to": []})
    for result in results:
        mine = [w for w in active if w.covers_rule(result["id"])]
        covering = _apply(result, mine)
        if covering is not None:
            result["waiver"] = covering.as_dict()
            entry = next(e for e in listed if e["rule"] == covering.rule and e["scope"] ==
                         covering.scope)  # fmt: skip
            entry["applied_to"].append(result["id"])
    return listed


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by status, by severity (each split by status), failures by severity, waived."""
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
        "waived": sum(1 for item in results if item.get("waiver")),
    }


def build_report(
    run: Run,
    context: CheckContext,
    *,
    waivers: Iterable[Waiver] = (),
    baselines: dict[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """The JSON document of one run, ``waivers`` applied, held to ``baselines`` (by name)."""
    results = [_result(outcome) for outcome in run.outcomes]
    listed = apply_waivers(results, list(waivers), context.now.date())
    identity = identity_source(context.env)
    ran = {item["id"] for item in results}
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
            "loaded": loaded(context.env),
            "missing_settings": missing_settings(context.env),
        },
        "summary": summarize(results),
        "waivers": listed,
        "baselines": [
            {"name": name, "rules": sorted(rules), "missing": sorted(rules - ran)}
            for name, rules in sorted((baselines or {}).items())
        ],
        "results": results,
    }


def headline(report: dict[str, Any]) -> str:
    """One line for logs and page titles: counts only."""
    summary = report["summary"]
    failed = ", ".join(f"{n} {sev}" for sev, n in summary["failed"].items() if n) or "none"
    counts = summary["by_status"]
    waived = summary.get("waived", 0)
    return (
        f"posture: {counts['pass']} pass, {counts['fail']} fail, {counts['error']} error, "
        f"{counts.get('unknown', 0)} unknown, {counts['skipped']} skipped of "
        f"{summary['total']} rules ({waived} waived); failed by severity: {failed}"
    )
