"""Content negotiation of ``GET /api/posture``: HTML for browsers, JSON for everyone else."""

from __future__ import annotations

import pytest

from blueprints.http.negotiation import prefers_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        (BROWSER, True),
        ("text/html", True),
        ("text/*", True),
        ("text/html, */*", True),
        ("text/html, application/json", False),
        ("application/json;q=0.5, text/html", True),
        ("text/html;q=0, */*", False),
        ("text/html;q=oops", False),
    ],
)
def test_html_only_when_preferred_over_json(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html
