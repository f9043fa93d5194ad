"""P7: does the function host keep memory, job after job?

The goal: the Python objects the host holds grow by at most 2 % from 1,000 jobs to
10,000. Ten thousand jobs through a traced host (tracemalloc makes it about twice as slow)
take longer than a whole benchmark run may, and in-memory Azurite slows down with every
job it holds (on the standard machine it stalled after about 8,000). So the growth is
measured as a rate: after 500 jobs, the heap is read every 75 jobs up to 1,100; a
least-squares line through the nine readings gives the growth per 1,000 jobs and its
standard error, and the goal is judged on the rate's upper bound (the slope plus two
standard errors) carried over the goal's 9,000 jobs. A leak is a steady rate, which 600
jobs show as well as 9,000; noise widens the bound, so it counts against the app, never
for it. The first reading comes after the host has settled: caches, pools, imports and
the bounded memories of clean texts and encoded fragments filled. Read from 300 jobs, the
heap rose fastest between 300 and 500 in three full runs of four (by 38 to 54 KiB, then
by -10 to +26 KiB over the next 600), and that start, carried over 9,000 jobs, made a
miss or a pass by where the readings fell (docs/performance.md, P7).

The heap is what tracemalloc counts after a garbage collection (``bench/heaptrace``):
objects the app or the host keep. RSS also counts what the C allocator took from the
kernel and keeps (glibc's arenas grow to a high-water mark per thread and are not
trimmed), so it rises for a few thousand jobs while the heap is flat: reported (P7r), not
judged. Each reading is taken once the worker has drained the queue: objects of
invocations still in flight are not what the host keeps. P7 runs on a stack of its own.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import asdict, dataclass

import requests

from bench import progress
from bench.harness import Bench, HeapProbe, wait_for_drain
from bench.load import JobPoster, LoadError, run_concurrently
from bench.report import Row

#: The goal: the heap grows by at most this much from ``GOAL_FROM`` jobs to ``GOAL_TO``.
HEAP_GROWTH_GOAL = 1.02
GOAL_FROM, GOAL_TO = 1000, 10_000
#: The readings: the first after ``FIRST`` jobs, then every ``STEP`` up to ``LAST``.
FIRST, LAST, STEP = 500, 1100, 75
#: Share of P7's submissions that may fail (503 from a starved Azurite) before it gives up.
MAX_REFUSED = 0.05
CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class Growth:
    """A line through (jobs, heap KiB) readings, and where its upper bound leads."""

    kib_per_1000: float
    stderr: float
    heap_from_kib: float  # the line's value at the goal's first count of jobs
    projected: float  # heap at the goal's last count over its first, at the rate + 2 SE

    @property
    def upper_kib_per_1000(self) -> float:
        return self.kib_per_1000 + 2 * self.stderr


def fit(readings: list[tuple[int, float]], *, goal_from: int, goal_to: int) -> Growth:
    """Least squares through ``(jobs, heap KiB)`` (three readings or more), carried from
    ``goal_from`` jobs to ``goal_to`` at the rate's upper bound."""
    if len(readings) < 3:
        raise ValueError("a growth rate and its spread need three readings or more")
    xs = [jobs / 1000 for jobs, _ in readings]
    ys = [heap for _, heap in readings]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    stderr = math.sqrt(sum(r * r for r in residuals) / (n - 2) / sxx)
    start = intercept + slope * goal_from / 1000
    projected = 1 + (slope + 2 * stderr) * (goal_to - goal_from) / 1000 / start
    return Growth(slope, stderr, start, projected)


def host_memory(bench: Bench, heap: HeapProbe) -> list[Row]:
    """P7 and P7r (see the module's docstring)."""
    first, last, step = bench.n(FIRST), bench.n(LAST), bench.n(STEP)
    goal_from, goal_to = bench.n(GOAL_FROM), bench.n(GOAL_TO)
    marks = list(range(first, last + 1, step))
    # The traced host can take minutes on a busy machine: this case measures memory, not
    # latency, so a request may wait as long as it needs.
    token = bench.stack.caller_token("Jobs.Submit", lifetime=7200)
    poster = JobPoster(bench.stack.api, token, timeout=600)
    refused: Counter[str] = Counter()

    def submit(index: int) -> None:
        # A busy machine can slow Azurite past the app's storage retries, and the app then
        # answers 503 as it should: the request still ran the code whose memory is
        # measured, so it is counted and reported rather than ending the case.
        try:
            poster(index)
        except (LoadError, requests.RequestException) as exc:
            refused[str(exc) if isinstance(exc, LoadError) else type(exc).__name__] += 1

    curve: list[tuple[int, int, int, int]] = []
    done = 0
    for mark in marks:
        started = time.perf_counter()
        run_concurrently(submit, count=mark - done, concurrency=CONCURRENCY)
        posted = time.perf_counter()
        done = mark
        wait_for_drain(bench, timeout=1800)
        drained = time.perf_counter()
        rss, reading = bench.host_rss_kib(), heap.read(bench.host_pid())
        traced = reading.kib
        curve.append((done, traced, rss, reading.threads))
        progress.note(
            f"{done} of {last} jobs: Python heap {traced / 1024:.2f} MiB, RSS {rss / 1024:.0f} "
            f"MiB, {reading.threads} threads "
            f"(posted in {posted - started:.0f} s, drained in {drained - posted:.0f} s, "
            f"read in {time.perf_counter() - drained:.1f} s)"
        )
    if sum(refused.values()) > last * MAX_REFUSED:
        raise LoadError(f"P7: {sum(refused.values())} of {last} submissions failed: {refused}")
    readings = [(jobs, float(h)) for jobs, h, _, _ in curve]
    growth = fit(readings, goal_from=goal_from, goal_to=goal_to)
    failed = f" ({sum(refused.values())} submissions failed)" if refused else ""
    return [
        Row(
            "P7",
            f"host Python heap (tracemalloc): growth per 1,000 jobs over jobs {first}-{last}, "
            f"carried from {goal_from} to {goal_to} jobs{failed}",
            f"{growth.kib_per_1000:+.1f} ± {growth.stderr:.1f} KiB per 1,000 jobs",
            f"{growth.heap_from_kib / 1024:.2f} MiB at {goal_from} jobs (the line)",
            growth.projected,
            f"growth <= {HEAP_GROWTH_GOAL - 1:.0%} from {goal_from} to {goal_to} (rate + 2 SE)",
            growth.projected <= HEAP_GROWTH_GOAL,
            {
                "refused": dict(refused),
                "growth": asdict(growth),
                "curve": [
                    {"jobs": jobs, "heap_kib": h, "rss_kib": r, "threads": t}
                    for jobs, h, r, t in curve
                ],
            },
        ),
        Row(
            "P7r",
            f"host RSS after {last} jobs vs after {first} (traced host)",
            f"{curve[-1][2] / 1024:.0f} MiB",
            f"{curve[0][2] / 1024:.0f} MiB",
            curve[-1][2] / curve[0][2],
            "reported (the allocator settling)",
            None,
            {},
        ),
    ]
