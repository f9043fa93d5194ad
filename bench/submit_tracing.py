"""P4t and P4t0: what tracing adds to a submission, on and off.

P4t holds the submit handler traced (its spans exported over OTLP to the stack, as locally)
against the same handler with tracing paused, in the same rounds. P4t0 prices tracing off:
the spans one submission opens (counted with a backend that records nothing), each a call
into the do-nothing span (timed over many calls), against the handler's p50. A same-moment
comparison of two untraced runs would drown a cost that small in noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bench.report import Row
from bench.stats import Summary
from shared import tracing

#: Tracing on may add this much to the handler's p50 (P4t); tracing off, this share (P4t0).
GOAL_TRACED, GOAL_OFF = 1.05, 0.001


class _Counting:
    """A tracing backend that counts the spans opened and records nothing."""

    def __init__(self) -> None:
        self.opened = 0

    def open(self, name: str, **_: Any) -> tracing.SpanHandle:
        self.opened += 1
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        return tracing.NO_SPAN


def spans_per_submission(handler: Callable[[int], None]) -> int:
    """The spans a submission opens once the process is warm, as in P4's rounds (the first
    one also reads the partner key from the vault: one span more)."""
    handler(0)
    counting = _Counting()
    with tracing.using(counting):
        handler(1)
    return counting.opened


def seconds_per_span_off(calls: int = 200_000) -> float:
    """What one span costs while tracing is off: a ``with span()`` block with an attribute set."""
    with tracing.paused():
        started = time.perf_counter()
        for _ in range(calls):
            with tracing.span("x", attributes=None) as opened:
                opened.set("k", 1)
        return (time.perf_counter() - started) / calls


def _ms(summary: Summary) -> str:
    return f"p50 {summary.p50 * 1000:.1f} ms, p99 {summary.p99 * 1000:.1f} ms"


def tracing_rows(
    concurrency: int,
    off: Summary,
    traced: Summary,
    *,
    traced_on: bool,
    per_submission: int,
    per_span: float,
) -> list[Row]:
    """P4t: the handler traced against itself untraced; P4t0: tracing off, priced."""
    ratio = traced.p50 / off.p50
    cost = per_submission * per_span
    return [
        Row(
            f"P4t.c{concurrency}",
            f"the handler with tracing on (spans exported over OTLP), concurrency {concurrency}",
            _ms(traced),
            f"{_ms(off)} (the same handler, tracing off)",
            ratio,
            f"p50 <= {GOAL_TRACED:.2f}x",
            traced_on and ratio <= GOAL_TRACED,
            {"traced": asdict(traced), "off": asdict(off), "tracing_started": traced_on},
        ),
        Row(
            f"P4t0.c{concurrency}",
            f"tracing off: {per_submission} do-nothing spans per submission, against its p50",
            f"{cost * 1e6:.2f} us",
            f"p50 {off.p50 * 1000:.1f} ms",
            cost / off.p50,
            f"<= {GOAL_OFF:.3f} of p50",
            cost / off.p50 <= GOAL_OFF,
            {"spans": per_submission, "seconds_per_span": per_span},
        ),
    ]
