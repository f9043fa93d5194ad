"""bench.submit_tracing: P4t's traced and untraced calls mixed in the same batches, and
the work tracing does off the request's thread counted."""

from __future__ import annotations

import threading
import time

import pytest

from bench.submit_tracing import (
    Chosen,
    TracedRun,
    spans_per_submission,
    thread_cpu,
    traced_against_untraced,
)
from shared import tracing


class _Recording:
    """A backend that opens a distinct handle per span, so a call can tell whether its span
    was recorded."""

    provider = None

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, name: str, **_: object) -> tracing.SpanHandle:
        self.opened.append(name)
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        return tracing.NO_SPAN


def test_every_other_call_is_traced_and_the_parity_turns_each_round() -> None:
    backend = _Recording()
    seen: list[bool] = []
    lock = threading.Lock()

    def handler(index: int) -> None:
        before = len(backend.opened)
        with tracing.span("s"):
            pass
        with lock:
            seen.append(len(backend.opened) > before)

    receiver = iter([1.0, 1.5])
    with tracing.using(backend):
        run = traced_against_untraced(
            handler, count=4, concurrency=1, rounds=2, receiver_cpu=lambda: next(receiver)
        )
    assert seen == [True, False, True, False, False, True, False, True]
    assert (len(run.traced), len(run.off)) == (4, 4)
    assert run.receiver_cpu_per_call == pytest.approx(0.5 / 4)
    assert run.wall_per_call > 0


def test_without_tracing_on_there_is_nothing_to_compare() -> None:
    with tracing.paused(), pytest.raises(RuntimeError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        traced_against_untraced(lambda _: None, count=2, concurrency=1, receiver_cpu=lambda: 0.0)


def test_the_chosen_backend_records_only_for_a_thread_that_chose_it() -> None:
    backend = _Recording()
    chosen = Chosen(backend)
    chosen.traced(True)
    chosen.open("mine", kind="internal")
    other = threading.Thread(target=lambda: chosen.open("theirs", kind="internal"))
    other.start()
    other.join()
    chosen.traced(False)
    chosen.open("not mine", kind="internal")
    assert backend.opened == ["mine"]


def test_the_judged_ratio_adds_the_off_thread_share() -> None:
    run = TracedRun(
        off=[0.100] * 3,
        traced=[0.102] * 3,
        export_cpu_per_call=0.0003,
        receiver_cpu_per_call=0.0001,
        wall_per_call=0.010,
    )
    assert run.p50_ratio == pytest.approx(1.02)
    assert run.paired_ratio == pytest.approx(1.02)
    assert run.off_thread_share == pytest.approx(0.04)
    assert run.judged == pytest.approx(1.02 * 1.04)


def test_the_two_calls_of_a_pair_are_judged_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pair meets its own moment: a wait both of its calls share (here tenfold from
    one pair to the next, as the crowd of calls in flight gives) drops out of each pair's
    ratio, whichever of the two went first in its round."""
    crowd = [1.0, 10.0, 100.0, 3.0, 30.0, 300.0]  # pair k's shared wait, k in call order
    started: list[int] = []

    def fake_run(call: object, *, count: int, concurrency: int) -> list[float]:
        latencies: list[float] = []
        for j in range(count):
            started.append(j)
            traced = (j + len(started) // (count + 1)) % 2 == 0  # the round's parity
            wait = crowd[len(latencies) // 2 % len(crowd)]
            latencies.append(wait * (1.03 if traced else 1.0))
        return latencies

    monkeypatch.setattr("bench.submit_tracing.run_concurrently", fake_run)
    with tracing.using(_Recording()):
        run = traced_against_untraced(
            lambda _: None, count=12, concurrency=4, rounds=2, receiver_cpu=lambda: 0.0
        )
    assert run.paired_ratio == pytest.approx(1.03)
    assert [t / o for t, o in zip(run.traced, run.off, strict=True)] == pytest.approx([1.03] * 12)


def test_a_threads_cpu_is_read_by_its_name() -> None:
    burned, done = threading.Event(), threading.Event()

    def burn() -> None:
        while time.thread_time() < 0.06:  # this thread's own CPU
            pass
        burned.set()
        done.wait()

    worker = threading.Thread(target=burn, name="p4t-test-burner")
    worker.start()
    try:
        assert burned.wait(30)
        assert thread_cpu("p4t-test-burner") >= 0.04  # /proc counts in clock ticks
        assert thread_cpu("no-such-thread") == 0.0
    finally:
        done.set()
        worker.join()


def test_spans_per_submission_counts_the_spans_of_a_warm_call() -> None:
    def handler(index: int) -> None:
        for _ in range(3 if index == 0 else 2):  # the first call opens one more
            with tracing.span("x"):
                pass

    assert spans_per_submission(handler) == 2
