"""P4t and P4t0: what tracing adds to a submission, on and off.

P4t holds the submit handler traced (its spans exported over OTLP to the stack, as locally)
against the same handler with tracing paused (:func:`traced_against_untraced`). The two take
turns in many short batches, in the order off-on, on-off, off-on..., so that both sides see
the same moments of a machine whose speed drifts by more than the goal's margin from one
second to the next: in batches of 80 calls among P4's six sides, the same code read 0.97x to
1.13x. Each batch starts with nothing left to export: after a traced batch the spans it left
queued (at most the exporter's 500 ms schedule's worth) are exported off the clock, so none
of that work lands on the untraced batch after it. That is a share of the export the traced
side does not pay; the process CPU it took is measured and reported beside the row.

P4t0 prices tracing off: the spans one submission opens (counted with a backend that records
nothing), each a call into the do-nothing span (timed over many calls), against the
handler's p50. A same-moment comparison of two untraced runs would drown a cost that small
in noise.
"""

from __future__ import annotations

import contextlib
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench import progress
from bench.load import run_concurrently
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


#: P4t at each concurrency: calls per side, and calls per batch (a few of the exporter's
#: 500 ms schedules long on the standard machine).
TRACED_LEVELS = ((1, 320, 32), (8, 768, 64), (32, 1024, 128))


@dataclass(frozen=True, slots=True)
class TracedRun:
    """P4t's samples at one concurrency, and the export done between batches."""

    off: list[float]
    traced: list[float]
    batches: int
    #: This process's CPU while the spans a traced batch left queued were exported, off the
    #: clock; per traced call.
    flushed_cpu_per_call: float


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def traced_against_untraced(
    handler: Callable[[int], None], *, count: int, concurrency: int, batch: int
) -> TracedRun:
    """``count`` calls of ``handler`` with tracing paused and ``count`` traced, taking turns
    in batches of ``batch`` calls (order off-on, then on-off, ...); before each batch every
    span ended so far has been exported, so each batch pays for its own spans only."""
    samples: dict[str, list[float]] = {"off": [], "on": []}
    flushed = 0.0
    batch = min(batch, count)
    pairs = count // batch
    for pair in range(pairs):
        if pair % 8 == 0:
            progress.note(f"concurrency {concurrency}: traced or not, pair {pair + 1} of {pairs}")
        for side in ("off", "on") if pair % 2 == 0 else ("on", "off"):
            around = tracing.paused if side == "off" else contextlib.nullcontext
            with around():
                samples[side] += run_concurrently(handler, count=batch, concurrency=concurrency)
            before = _cpu()
            tracing.flush_tracing()
            if side == "on":
                flushed += _cpu() - before
    return TracedRun(samples["off"], samples["on"], 2 * pairs, flushed / (pairs * batch))


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
    run: TracedRun | None = None,
) -> list[Row]:
    """P4t: the handler traced against itself untraced; P4t0: tracing off, priced."""
    ratio = traced.p50 / off.p50
    how: dict[str, Any] = {}
    if run is not None:
        how = {
            "batches": run.batches,
            "flushed_cpu_us_per_call": round(run.flushed_cpu_per_call * 1e6, 1),
        }
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
            {"traced": asdict(traced), "off": asdict(off), "tracing_started": traced_on, **how},
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
