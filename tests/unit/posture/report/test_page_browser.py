"""The posture page as a person sees it: rendered by headless Chromium (Debian's ``chromium``).

The page is loaded from a file under its own Content-Security-Policy (the header the report
API sends, given here as the page's meta equivalent), and Chromium's rendered DOM is read
back: the worst problem first, every status label shown, a waived failure still in the
table with its waiver, nothing injected by a value, and no console error (a script or a
style the policy refused would log one).
"""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from posture.report.page import CONTENT_SECURITY_POLICY, to_html
from posture.waivers import Waiver
from tests.support.browser import render
from tests.support.posture_reports import sample_report


class _Rows(HTMLParser):
    """The results table's rows (the text of each of their own cells), as the browser built
    them; the evidence tables nested in a row are left out."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._depth = 0  # tables open inside the results table
        self._results = False
        self._cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table":
            if classes == "results":
                self._results = True
            elif self._results:
                self._depth += 1
        elif self._results and not self._depth and tag == "tr" and classes.startswith("row-"):
            self.rows.append([])
        elif self._results and not self._depth and tag == "td" and self.rows:
            self._cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
        elif tag == "table":
            self._results = False
        elif tag == "td" and not self._depth:
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell and not self._depth and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def _render(tmp_path: Path, html: str) -> tuple[str, str]:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    page = tmp_path / "posture.html"
    page.write_text(html.replace("<head>", f"<head>{meta}", 1), encoding="utf-8")
    rendered = render(page.as_uri(), tmp_path / "profile")
    return rendered.dom, rendered.log


def test_chromium_renders_the_worst_first_with_waivers_visible_and_nothing_refused(
    tmp_path: Path,
) -> None:
    waiver = Waiver("T-ERR", "*", "a known gap", "team@example.org", date.today() + timedelta(9))
    dom, log = _render(tmp_path, to_html(sample_report((waiver,))))
    parser = _Rows()
    parser.feed(dom)
    ids = [row[2] for row in parser.rows]
    assert ids == ["T-FAIL", "T-BLIND", "T-PASS", "T-SKIP", "T-ERR"]  # the waived one last
    statuses = [row[0] for row in parser.rows]
    assert statuses[:4] == ["FAIL", "UNKNOWN", "PASS", "SKIPPED"]
    assert statuses[4].startswith("ERRORWAIVED until")
    assert "team@example.org: a known gap" in statuses[4]
    assert "A&lt;b&gt;" in dom  # a value stays text: the browser built no element of it
    assert "violates the following Content Security Policy" not in log  # nothing it needs
    assert 'href="https://learn.microsoft.com/' in dom


@pytest.mark.slow
def test_the_policy_refuses_what_a_value_could_smuggle_in(tmp_path: Path) -> None:
    """The generated positive of the check above: a script in the page is refused and logged."""
    page = to_html(sample_report()).replace("</body>", "<script>document.title='x'</script></body>")
    dom, log = _render(tmp_path, page)
    assert "Executing inline script violates the following Content Security Policy" in log
    assert "<title>x</title>" not in dom
