"""bench.submit_tracing: P4t's alternation of traced and untraced batches."""

from __future__ import annotations

import threading

import pytest

from bench.submit_tracing import spans_per_submission, traced_against_untraced
from shared import tracing


class _Recording:
    """A backend that records nothing but answers ``is_enabled``: the calls see whether
    their batch runs traced."""

    def open(self, name: str, **_: object) -> tracing.SpanHandle:
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        return tracing.NO_SPAN


def test_sides_take_turns_and_each_batch_starts_with_nothing_to_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[str] = []
    lock = threading.Lock()

    def handler(_: int) -> None:
        with lock:
            events.append("on" if tracing.is_enabled() else "off")

    def flush(timeout_s: float = 10.0) -> bool:
        events.append("flush")
        return True

    monkeypatch.setattr(tracing, "flush_tracing", flush)
    with tracing.using(_Recording()):
        run = traced_against_untraced(handler, count=6, concurrency=1, batch=2)

    assert (len(run.off), len(run.traced), run.batches) == (6, 6, 6)
    batches = " ".join(events).split(" flush")
    assert [batch.split() for batch in batches if batch.strip()] == [
        ["off", "off"],
        ["on", "on"],
        ["on", "on"],
        ["off", "off"],
        ["off", "off"],
        ["on", "on"],
    ]
    assert events[-1] == "flush"  # the last batch's spans leave before the next case
    assert all(latency >= 0 for latency in run.off + run.traced)
    assert run.flushed_cpu_per_call >= 0


def test_a_batch_larger_than_the_count_still_makes_one_pair() -> None:
    calls: list[int] = []
    run = traced_against_untraced(calls.append, count=3, concurrency=1, batch=5)
    assert (len(run.off), len(run.traced), run.batches) == (3, 3, 2)


def test_spans_per_submission_counts_the_spans_of_a_warm_call() -> None:
    def handler(index: int) -> None:
        for _ in range(3 if index == 0 else 2):  # the first call opens one more
            with tracing.span("x"):
                pass

    assert spans_per_submission(handler) == 2
