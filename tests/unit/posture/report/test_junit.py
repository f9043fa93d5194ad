"""posture.report.junit: the report as JUnit XML, read back with junitparser as CI does."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped

from posture.report.junit import to_junit
from posture.waivers import Waiver
from tests.support.posture_reports import sample_report


def _parsed(tmp_path: Path, text: str) -> JUnitXml:
    path = tmp_path / "posture.xml"
    path.write_text(text, encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_each_rule_is_a_test_case_with_the_outcome_ci_understands(tmp_path: Path) -> None:
    xml = _parsed(tmp_path, to_junit(sample_report()))
    cases = {case.name.split(":")[0]: case for suite in xml for case in suite}
    assert set(cases) == {"T-FAIL", "T-PASS", "T-SKIP", "T-ERR", "T-BLIND"}
    assert [type(r) for r in cases["T-FAIL"].result] == [Failure]
    assert [type(r) for r in cases["T-ERR"].result] == [Error]
    assert [type(r) for r in cases["T-BLIND"].result] == [Error]
    assert cases["T-BLIND"].result[0].type == "unknown"
    assert [type(r) for r in cases["T-SKIP"].result] == [Skipped]
    assert cases["T-PASS"].is_passed
    assert cases["T-FAIL"].classname == "posture.runtime"
    xml.update_statistics()
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (5, 1, 2, 1)


def test_a_waived_rule_is_skipped_with_its_waiver_and_keeps_its_evidence(tmp_path: Path) -> None:
    waiver = Waiver("T-FAIL", "*", "migrating", "team@example.org", date.today() + timedelta(1))
    xml = _parsed(tmp_path, to_junit(sample_report((waiver,))))
    case = next(c for suite in xml for c in suite if c.name.startswith("T-FAIL"))
    (skipped,) = case.result
    assert isinstance(skipped, Skipped)
    assert "waived until" in skipped.message
    assert "team@example.org" in skipped.message
    assert "was fail: bad" in skipped.message
    assert "setting=A<b>" in case.system_out
