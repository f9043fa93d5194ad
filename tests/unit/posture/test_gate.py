"""posture.gate: what fails the CI gate, one line naming each cause."""

from __future__ import annotations

from datetime import date, timedelta

from posture.gate import gate_failures
from posture.model import Severity
from posture.waivers import Waiver
from tests.support.posture_reports import sample_report


def _waiver(rule: str, *, days: int) -> Waiver:
    return Waiver(rule, "*", "known gap", "team@example.org", date.today() + timedelta(days=days))


def test_blindness_counts_like_a_failure_at_its_severity() -> None:
    report = sample_report()
    assert [line.split(" ")[0] for line in gate_failures(report, Severity.LOW)] == [
        "T-FAIL",
        "T-ERR",
        "T-BLIND",
    ]
    high = gate_failures(report, Severity.HIGH)
    assert [line.split(" ")[0] for line in high] == ["T-FAIL", "T-BLIND"]
    assert "unknown: saw nothing" in high[1]
    assert gate_failures(report, Severity.CRITICAL) == []  # the critical rule passed


def test_a_waiver_accepts_a_known_gap_and_an_expired_one_fails_the_gate() -> None:
    waived = sample_report((_waiver("T-BLIND", days=10), _waiver("T-FAIL", days=10)))
    assert gate_failures(waived, Severity.HIGH) == []
    expired = sample_report((_waiver("T-BLIND", days=10), _waiver("T-FAIL", days=-1)))
    reasons = gate_failures(expired, Severity.HIGH)
    assert [r.split(" ")[0] for r in reasons] == ["T-FAIL", "waiver"]
    assert "expired on" in reasons[1]
    assert "team@example.org" in reasons[1]
    # An expired waiver fails the gate even where nothing it names is counted any more.
    unused = sample_report((_waiver("T-PASS", days=-1),))
    assert any("waiver for T-PASS" in r for r in gate_failures(unused, Severity.CRITICAL))


def test_a_baseline_rule_left_out_fails_the_gate() -> None:
    report = sample_report(baselines={"core": frozenset({"T-PASS", "T-ELSEWHERE"})})
    assert gate_failures(report, Severity.CRITICAL) == [
        "baseline core requires T-ELSEWHERE, which the run left out"
    ]
