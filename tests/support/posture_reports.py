"""Posture rules and reports made up for tests: one rule per outcome, and the report a run
of them gives (the document, markdown and page tests read the same one)."""

from __future__ import annotations

from typing import Any

from posture.context import CheckContext
from posture.model import Category, Rule, RuleResult, Severity
from posture.report.document import build_report
from posture.runner import run_rules


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


def sample_report() -> dict[str, Any]:
    rules = [
        make_rule("T-FAIL", lambda c: RuleResult.failed("bad", [{"setting": "A<b>"}])),
        make_rule("T-PASS", lambda c: RuleResult.passed("good"), severity=Severity.CRITICAL),
        make_rule("T-SKIP", lambda c: RuleResult.skipped("n/a"), severity=Severity.MEDIUM),
        make_rule("T-ERR", lambda c: RuleResult.error("no access"), severity=Severity.LOW),
    ]
    context = CheckContext(env={"WEBSITE_SITE_NAME": "func-x"})
    return build_report(run_rules(context, rules=rules), context)
