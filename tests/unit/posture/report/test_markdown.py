"""posture.report.markdown: a row per rule, details for what needs work."""

from __future__ import annotations

from posture.report.markdown import to_markdown
from tests.support.posture_reports import sample_report


def test_markdown_has_a_row_per_rule_and_details_for_what_needs_work() -> None:
    text = to_markdown(sample_report())
    rows = [line for line in text.splitlines() if line.startswith("| ") and "T-" in line]
    assert len(rows) == 5
    assert "## T-FAIL" in text
    assert "## T-ERR" in text
    assert "## T-BLIND" in text  # a rule that could not see needs work too
    assert "## T-PASS" not in text
    assert "Fix: fix it" in text
