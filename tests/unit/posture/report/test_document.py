"""posture.report.document and .schema: the JSON document of a run, valid against its schema."""

from __future__ import annotations

import json
from datetime import date, timedelta

import jsonschema
import pytest

from posture.report.document import headline
from posture.report.schema import REPORT_SCHEMA
from posture.waivers import Waiver
from tests.support.posture_reports import sample_report


def test_report_validates_against_its_schema_and_counts_right() -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    report = sample_report()
    jsonschema.validate(report, REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
    summary = report["summary"]
    assert summary["total"] == 5
    assert summary["by_status"] == {"pass": 1, "fail": 1, "error": 1, "unknown": 1, "skipped": 1}
    assert summary["failed"]["high"] == 1
    assert summary["by_severity"]["critical"]["pass"] == 1
    assert summary["waived"] == 0
    assert report["environment"]["in_azure"] is True
    assert report["environment"]["loaded"] is False
    assert "KEY_VAULT_URI" in report["environment"]["missing_settings"]
    assert headline(report).startswith("posture: 1 pass, 1 fail, 1 error, 1 unknown, 1 skipped")
    broken = json.loads(json.dumps(report))
    broken["results"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, REPORT_SCHEMA)


def _waiver(rule: str, scope: str = "*", *, days: int = 30) -> Waiver:
    return Waiver(rule, scope, "accepted for the test", "team@example.org",
                  date.today() + timedelta(days=days))  # fmt: skip


def test_a_waiver_marks_what_it_covers_and_hides_nothing() -> None:
    report = sample_report((_waiver("T-FAIL", "A*"), _waiver("T-BLIND")))
    jsonschema.validate(report, REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
    results = {r["id"]: r for r in report["results"]}
    assert results["T-FAIL"]["status"] == "fail"  # still visible as what it is
    assert results["T-FAIL"]["evidence"] == [{"setting": "A<b>", "waived": True}]
    assert results["T-FAIL"]["waiver"]["owner"] == "team@example.org"
    assert results["T-BLIND"]["waiver"]["scope"] == "*"
    assert "waiver" not in results["T-ERR"]
    assert report["summary"]["waived"] == 2
    assert {(w["rule"], w["state"], tuple(w["applied_to"])) for w in report["waivers"]} == {
        ("T-FAIL", "active", ("T-FAIL",)),
        ("T-BLIND", "active", ("T-BLIND",)),
    }


def test_a_scope_that_names_another_subject_waives_nothing_and_a_gap_needs_the_whole_rule() -> None:
    report = sample_report((_waiver("T-FAIL", "other-*"), _waiver("T-BLIND", "some-resource")))
    results = {r["id"]: r for r in report["results"]}
    assert "waiver" not in results["T-FAIL"]
    assert "waiver" not in results["T-BLIND"]
    assert report["summary"]["waived"] == 0


def test_an_expired_waiver_waives_nothing_and_is_listed_as_expired() -> None:
    report = sample_report((_waiver("T-FAIL", days=-1),))
    assert "waiver" not in report["results"][0]
    assert report["waivers"][0]["state"] == "expired"


def test_a_baseline_names_the_rules_the_run_left_out() -> None:
    report = sample_report(baselines={"core": frozenset({"T-FAIL", "T-ELSEWHERE"})})
    assert report["baselines"] == [
        {"name": "core", "rules": ["T-ELSEWHERE", "T-FAIL"], "missing": ["T-ELSEWHERE"]}
    ]
