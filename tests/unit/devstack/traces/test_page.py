"""devstack.traces.page: the waterfall a person reads, checked in a real headless chromium.

Served by the control plane's own routes on a loopback server, opened in Debian's chromium
(tests/support/browser.py), and read back from the browser's layout: one row per span in
tree order, each name indented under its parent, each bar where its span's time puts it on
the track (a child's bar inside its parent's, the worker's after the submit's), a failed
span drawn red, attributes escaped rather than run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.applications import Starlette

from devstack.control import trace_routes
from devstack.traces.store import SpanStore
from tests.support.browser import Browser
from tests.support.otlp_requests import request_bytes
from tests.support.servers import serve
from tests.unit.devstack.traces.spans import job_trace

GEOMETRY = """
[...document.querySelectorAll('li.row')].map(row => {
  const track = row.querySelector('.track').getBoundingClientRect();
  const bar = row.querySelector('.bar').getBoundingClientRect();
  const name = row.querySelector('.name').getBoundingClientRect();
  return {name: row.querySelector('.name').textContent, nameLeft: name.left,
          left: (bar.left - track.left) / track.width,
          right: (bar.right - track.left) / track.width,
          width: bar.width, color: getComputedStyle(row.querySelector('.bar')).backgroundColor,
          visible: name.width > 0 && name.height > 0};
})
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as opened:
        yield opened


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, SpanStore]]:
    store = SpanStore(tmp_path / "spans.otlp")
    with serve(Starlette(routes=trace_routes(store))) as (base, _):
        yield f"{base}/devstack/traces", store


@pytest.mark.slow
def test_the_waterfall_reads_as_the_trace_happened(
    browser: Browser, served: tuple[str, SpanStore], tmp_path: Path
) -> None:
    base, store = served
    job = str(uuid.uuid4())
    store.append_request(request_bytes(job_trace(job)))
    browser.open(f"{base}/{job}")
    assert browser.evaluate("document.title") == f"Trace of job {job}"
    rows: list[dict[str, Any]] = browser.evaluate(GEOMETRY)
    browser.screenshot(tmp_path / "trace.png")
    names = [row["name"] for row in rows]
    assert names == [
        "POST /api/jobs",
        "partner POST",
        "vault get secret",
        "send jobs",
        "process jobs",
        "jobstore update",
    ]
    by = {row["name"]: row for row in rows}
    assert all(row["visible"] for row in rows)
    # Indented under the parent: deeper spans' names start further right.
    assert by["POST /api/jobs"]["nameLeft"] < by["partner POST"]["nameLeft"]
    assert by["partner POST"]["nameLeft"] < by["vault get secret"]["nameLeft"]
    # Bars on one time line: the submit starts at 0, children lie within their parents,
    # the delivery comes after the send, and the last span ends at the track's end.
    assert by["POST /api/jobs"]["left"] == pytest.approx(0, abs=0.01)
    for child, parent in (("partner POST", "POST /api/jobs"), ("vault get secret", "partner POST")):
        assert by[parent]["left"] - 0.01 <= by[child]["left"]
        assert by[child]["right"] <= by[parent]["right"] + 0.01
    assert by["process jobs"]["left"] > by["send jobs"]["right"]
    assert by["process jobs"]["right"] == pytest.approx(1, abs=0.01)
    assert by["partner POST"]["left"] == pytest.approx(10 / 400, abs=0.01)
    assert by["process jobs"]["color"] != by["send jobs"]["color"]  # failed: red
    assert browser.console_errors() == []


def test_what_the_app_wrote_is_shown_not_run(
    browser: Browser, served: tuple[str, SpanStore]
) -> None:
    base, store = served
    job = str(uuid.uuid4())
    spans = job_trace(job)
    spans[0]["name"] = "<img src=x onerror=\"document.title='ran'\">"
    spans[0]["attributes"]["note"] = "<script>document.title='ran'</script>"
    store.append_request(request_bytes(spans))
    browser.open(f"{base}/{job}")
    assert browser.evaluate("document.title") == f"Trace of job {job}"
    assert browser.evaluate("document.querySelectorAll('img, li script').length") == 0
    assert spans[0]["name"] in browser.evaluate("document.body.innerText")


def test_a_job_without_spans_gets_a_page_that_says_why(
    browser: Browser, served: tuple[str, SpanStore]
) -> None:
    base, _ = served
    job = str(uuid.uuid4())
    answer = requests.get(f"{base}/{job}", timeout=10)
    assert answer.status_code == 404
    browser.open(f"{base}/{job}")
    assert "TRACING_SAMPLE_RATIO" in browser.evaluate("document.body.innerText")
    assert requests.get(f"{base}/not-a-job", timeout=10).status_code == 404
    spans = requests.get(f"{base}/{job}/spans", timeout=10).json()
    assert spans == {"job_id": job, "spans": []}
