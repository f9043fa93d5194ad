"""P4t and P4t0: what tracing adds to a submission, on and off.

P4t holds the submit handler traced (its spans exported over OTLP to the stack, as locally)
against the same handler untraced (:func:`traced_against_untraced`), with the two mixed in
every batch: every other call is traced (:class:`Chosen`), so both see the same moments of a
machine whose speed drifts by more than the goal's margin from one second to the next (in
batches of their own, taking turns, the same code read 0.97x to 1.13x). Mixed, the work
tracing does off the request's thread, the export thread's (scrubbing, encoding, posting)
and the stack's receiver's, would slow the untraced calls as much as the traced ones. It is
counted instead, in CPU seconds (the export thread's from ``/proc``, the receiver's from the
stack's ``traces`` counters), and added to the traced side: the judged value is the paired
p50 ratio times ``1 + off-thread CPU per traced call / wall time per call`` (the run's wall
time over its calls: with ``concurrency`` calls in flight, one call's worth of the machine).

The paired ratio: calls are started two by two, one traced and one not (which goes first
turns each round), so the two calls of a pair meet the same moment of the machine and, at
concurrency 32, the same crowd of calls in flight; the judged ratio is the p50 of each
pair's traced latency over its untraced one. A call's latency at 32 is mostly its wait for
the other 31, which the ratio of the two sides' p50s keeps as noise and a pair cancels: in
eight runs of 128 pairs at 32 the ratio of p50s spread with a standard deviation of 0.072,
the paired p50 with 0.035, around the same mean (docs/performance.md, P4t). That
counts the work as if it had held one core, with nothing else to do, for its share of each
call: on a saturated two-core machine extra CPU costs half that (it lowers the throughput by
its share of both cores). Where the app's interpreter lock binds it could cost more; at
concurrency 8 the benchmark's process held it a little over half the time, and used 1.3
cores.

P4t0 prices tracing off: the spans one submission opens (counted with a backend that records
nothing), each a call into the do-nothing span (timed over many calls), against the
handler's p50. A same-moment comparison of two untraced runs would drown a cost that small
in noise.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import progress
from bench.load import run_concurrently
from bench.report import Row
from bench.stats import Summary
from shared import tracing

#: Tracing on may add this much to the handler's p50 (P4t); tracing off, this share (P4t0).
GOAL_TRACED, GOAL_OFF = 1.05, 0.001
#: P4t at each concurrency: calls per side. At 1 the p50 of 320 calls a side moved by about
#: 1.5 % from run to run (three runs of the same code: 1.007x, 1.023x, 1.028x), as much as
#: tracing costs there; the spread falls with the square root of the calls.
TRACED_LEVELS = ((1, 960), (8, 768), (32, 1024))
TRACED_ROUNDS = 8
#: The thread the SDK's batch span processor exports on.
EXPORT_THREAD = "OtelBatchSpanRecordProcessor"


class _Counting:
    """A tracing backend that counts the spans opened and records nothing."""

    def __init__(self) -> None:
        self.opened = 0

    def open(self, name: str, **_: Any) -> tracing.SpanHandle:
        self.opened += 1
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        return tracing.NO_SPAN


class Chosen:
    """The app's tracing backend for the calls that choose it (:meth:`traced`, per thread);
    every other call gets the do-nothing span, as with tracing off. Its calls still pass
    the tracing API's switch and this backend: 1.1 us a span more than with tracing off
    (1.8 against 0.7, timed over 200,000 spans), 4.5 us a submission that the untraced side
    pays and tracing off does not, under 0.05 % of the handler's p50."""

    def __init__(self, backend: tracing.Backend) -> None:
        self.backend = backend
        self.provider = getattr(backend, "provider", None)  # flush_tracing finds it here
        self._local = threading.local()

    def traced(self, on: bool) -> None:
        self._local.on = on

    def open(self, name: str, **options: Any) -> tracing.SpanHandle:
        if getattr(self._local, "on", False):
            return self.backend.open(name, **options)
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        if getattr(self._local, "on", False):
            return self.backend.current()
        return tracing.NO_SPAN


@dataclass(frozen=True, slots=True)
class TracedRun:
    """P4t's samples at one concurrency, and what tracing cost off the request's thread.

    ``traced[i]`` and ``off[i]`` are the two calls of pair ``i``, started next to each other.
    """

    off: list[float]
    traced: list[float]
    #: The export thread's CPU and the stack's receiver's, per traced call (seconds).
    export_cpu_per_call: float
    receiver_cpu_per_call: float
    #: The run's wall time over its calls (seconds).
    wall_per_call: float

    @property
    def p50_ratio(self) -> float:
        return Summary.of(self.traced).p50 / Summary.of(self.off).p50

    @property
    def paired_ratio(self) -> float:
        """The p50 of each pair's traced latency over its untraced one."""
        return Summary.of([t / o for t, o in zip(self.traced, self.off, strict=True)]).p50

    @property
    def off_thread_share(self) -> float:
        return (self.export_cpu_per_call + self.receiver_cpu_per_call) / self.wall_per_call

    @property
    def judged(self) -> float:
        return self.paired_ratio * (1 + self.off_thread_share)


def thread_cpu(name: str) -> float:
    """CPU seconds of this process's threads called ``name``, alive now (``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for thread in threading.enumerate():
        if thread.name != name or thread.native_id is None:
            continue
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def traced_against_untraced(
    handler: Callable[[int], None],
    *,
    count: int,
    concurrency: int,
    receiver_cpu: Callable[[], float],
    rounds: int = TRACED_ROUNDS,
) -> TracedRun:
    """``count`` calls of ``handler`` traced and ``count`` untraced, mixed in ``rounds``
    batches (call ``j`` of round ``r`` traced when ``j + r`` is even: calls ``2k`` and
    ``2k + 1`` are a pair, their order turning each round), with the app's
    tracing backend on; then every span exported, and the export thread's and the
    receiver's CPU (``receiver_cpu``: seconds so far) counted over the run."""
    backend = tracing.active()
    if backend is None:
        raise RuntimeError("P4t needs tracing on: OTEL_EXPORTER_OTLP_ENDPOINT is not set")
    chosen = Chosen(backend)
    samples: dict[bool, list[float]] = {True: [], False: []}
    with tracing.using(chosen):
        tracing.flush_tracing()
        export_before, receiver_before = thread_cpu(EXPORT_THREAD), receiver_cpu()
        started = time.perf_counter()
        for round_index in range(rounds):
            progress.note(f"concurrency {concurrency}: traced or not, round {round_index + 1}")
            share = count // rounds + (1 if round_index < count % rounds else 0)

            def call(j: int, shift: int = round_index) -> None:
                chosen.traced((j + shift) % 2 == 0)
                try:
                    handler(j)
                finally:
                    chosen.traced(False)

            latencies = run_concurrently(call, count=2 * share, concurrency=concurrency)
            for j, latency in enumerate(latencies):  # in call order: pairs stay aligned
                samples[(j + round_index) % 2 == 0].append(latency)
        wall = time.perf_counter() - started
        tracing.flush_tracing()
        export = thread_cpu(EXPORT_THREAD) - export_before
        receiver = receiver_cpu() - receiver_before
    traced = len(samples[True])
    return TracedRun(
        off=samples[False],
        traced=samples[True],
        export_cpu_per_call=export / traced,
        receiver_cpu_per_call=receiver / traced,
        wall_per_call=wall / (traced + len(samples[False])),
    )


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
    run: TracedRun,
    *,
    traced_on: bool,
    per_submission: int,
    per_span: float,
) -> list[Row]:
    """P4t: the handler traced against itself untraced, mixed in the same batches, with
    the work done off the request's thread added; P4t0: tracing off, priced."""
    off, traced = Summary.of(run.off), Summary.of(run.traced)
    ratio = run.judged
    how = {
        "paired_ratio": run.paired_ratio,
        "p50_ratio": run.p50_ratio,
        "off_thread_share": run.off_thread_share,
        "export_cpu_us_per_traced_call": round(run.export_cpu_per_call * 1e6, 1),
        "receiver_cpu_us_per_traced_call": round(run.receiver_cpu_per_call * 1e6, 1),
        "wall_ms_per_call": round(run.wall_per_call * 1e3, 3),
    }
    cost = per_submission * per_span
    return [
        Row(
            f"P4t.c{concurrency}",
            f"the handler with tracing on (spans exported over OTLP), concurrency {concurrency}"
            ", mixed with untraced calls; the export's and the receiver's CPU added",
            f"{_ms(traced)}; off the request's thread +{run.off_thread_share:.1%}",
            f"{_ms(off)} (the same handler untraced, in the same batches)",
            ratio,
            f"p50 of pairs <= {GOAL_TRACED:.2f}x",
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
