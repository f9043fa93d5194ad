"""devstack.traces.waterfall: rows in tree order, bars on the trace's time line, the text."""

from __future__ import annotations

from devstack.traces.waterfall import layout, render_text
from tests.unit.devstack.traces.spans import HOST_SPAN, TRACE, job_trace, span


def test_rows_follow_the_tree_and_the_clock() -> None:
    rows = layout(job_trace("j"))
    assert [(r.name, r.depth) for r in rows] == [
        ("POST /api/jobs", 0),  # its parent is the host's invocation, not recorded
        ("partner POST", 1),
        ("vault get secret", 2),
        ("send jobs", 1),
        ("process jobs", 2),
        ("jobstore update", 3),
    ]
    whole = 400.0
    assert rows[0].offset == 0
    assert abs(rows[1].offset - 10 / whole) < 1e-9
    assert abs(rows[4].width - 250 / whole) < 1e-9
    assert rows[4].failed
    assert rows[1].notes() == "status=200 attempts=2"


def test_a_cycle_in_the_parents_is_drawn_once() -> None:
    looped = [span("1" * 16, "2" * 16, "a", 0, 1), span("2" * 16, "1" * 16, "b", 0, 1)]
    assert sorted(r.name for r in layout(looped)) == ["a", "b"]


def test_the_text_draws_each_span_on_its_line() -> None:
    text = render_text(job_trace("j"), width=90, unicode=False)
    lines = text.splitlines()
    assert lines[0].startswith(f"trace {TRACE}: 6 spans over 400.0 ms")
    bars = {line.split()[0] if not line.startswith(" ") else line.strip().split("  ")[0]: line
            for line in lines[2:] if " ms" in line}  # fmt: skip
    post = bars["POST"]
    process = next(line for line in lines if "process jobs" in line)
    assert post.index("#") < process.index("#")  # the delivery starts after the submit
    assert process.rstrip().endswith("ms !")  # failed
    assert "cache=miss" in text
    assert all(len(line) <= 90 for line in lines)


def test_a_key_or_token_from_memory_shows_on_the_call_that_used_it() -> None:
    for key, note in (("app.vault.cache", "cache=hit"), ("app.token.cache", "token=hit")):
        (row,) = layout([span("a" * 16, HOST_SPAN, "partner POST", 0, 5, **{key: "hit"})])
        assert row.notes() == note
