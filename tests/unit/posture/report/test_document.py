"""posture.report.document and .schema: the JSON document of a run, valid against its schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from posture.context import CheckContext
from posture.model import RuleResult, Severity
from posture.report.document import build_report, headline
from posture.report.schema import REPORT_SCHEMA
from posture.runner import run_rules
from tests.unit.posture.test_runner import make_rule


def sample_report() -> dict[str, Any]:
    rules = [
        make_rule("T-FAIL", lambda c: RuleResult.failed("bad", [{"setting": "A<b>"}])),
        make_rule("T-PASS", lambda c: RuleResult.passed("good"), severity=Severity.CRITICAL),
        make_rule("T-SKIP", lambda c: RuleResult.skipped("n/a"), severity=Severity.MEDIUM),
        make_rule("T-ERR", lambda c: RuleResult.error("no access"), severity=Severity.LOW),
    ]
    context = CheckContext(env={"WEBSITE_SITE_NAME": "func-x"})
    return build_report(run_rules(context, rules=rules), context)


def test_report_validates_against_its_schema_and_counts_right() -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    report = sample_report()
    jsonschema.validate(report, REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
    summary = report["summary"]
    assert summary["total"] == 4
    assert summary["by_status"] == {"pass": 1, "fail": 1, "error": 1, "skipped": 1}
    assert summary["failed"]["high"] == 1
    assert summary["by_severity"]["critical"]["pass"] == 1
    assert report["environment"]["in_azure"] is True
    assert headline(report).startswith("posture: 1 pass, 1 fail, 1 error, 1 skipped of 4")
    broken = json.loads(json.dumps(report))
    broken["results"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, REPORT_SCHEMA)
