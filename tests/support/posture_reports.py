"""Posture rules and reports made up for tests: one rule per outcome, and the report a run
of them gives (the document, markdown, page, SARIF, JUnit and gate tests read the same one)."""

from __future__ import annotations

from typing import Any

from posture.context import CheckContext
from posture.model import Category, Rule, RuleResult, Severity
from posture.report.document import build_report
from posture.runner import run_rules
from posture.waivers import Waiver


def make_rule(rule_id: str, evaluate: Any, *, severity: Severity = Severity.HIGH) -> Rule:
    return Rule(
        id=rule_id,
        title=f"test rule {rule_id}",
        severity=severity,
        category=Category.RUNTIME,
        remediation="fix it",
        reads="nothing",
        permission="none",
        evaluate=evaluate,
    )


def sample_rules() -> list[Rule]:
    return [
        make_rule("T-FAIL", lambda c: RuleResult.failed("bad", [{"setting": "A<b>"}])),
        make_rule("T-PASS", lambda c: RuleResult.passed("good"), severity=Severity.CRITICAL),
        make_rule("T-SKIP", lambda c: RuleResult.skipped("n/a"), severity=Severity.MEDIUM),
        make_rule("T-ERR", lambda c: RuleResult.error("no access"), severity=Severity.LOW),
        make_rule("T-BLIND", lambda c: RuleResult.unknown("saw nothing"), severity=Severity.HIGH),
    ]


def sample_report(
    waivers: tuple[Waiver, ...] = (), baselines: dict[str, frozenset[str]] | None = None
) -> dict[str, Any]:
    context = CheckContext(env={"WEBSITE_SITE_NAME": "func-x"})
    run = run_rules(context, rules=sample_rules())
    return build_report(run, context, waivers=waivers, baselines=baselines)
