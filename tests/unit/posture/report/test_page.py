"""posture.report.page: one self-contained HTML page, worst first, every value escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from posture.report.page import to_html
from tests.support.posture_reports import sample_report


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: set[str] = set()
        self._in_results = self._cell = False
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "table" and ("class", "results") in attrs:
            self._in_results = True
        elif self._in_results and tag == "table":
            self._depth += 1
        elif self._in_results and not self._depth and tag == "tr":
            self.rows.append([])
        elif self._in_results and not self._depth and tag in ("td", "th"):
            self._cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
        elif tag == "table":
            self._in_results = False
        elif tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell and not self._depth:
            self.rows[-1][-1] += data


def test_html_is_one_page_with_a_table_worst_first_and_escaped() -> None:
    page = to_html(sample_report())
    parser = _Table()
    parser.feed(page)
    assert not {"script", "link", "img", "iframe"} & parser.tags
    header, *rows = parser.rows
    assert header == ["status", "severity", "rule", "title", "result"]
    assert [row[2] for row in rows] == ["T-FAIL", "T-ERR", "T-BLIND", "T-PASS", "T-SKIP"]
    assert [row[0] for row in rows] == ["FAIL", "ERROR", "UNKNOWN", "PASS", "SKIPPED"]
    assert "A<b>" not in page
    assert "A&lt;b&gt;" in page
