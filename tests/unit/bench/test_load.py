"""bench.load: an interrupted load run starts no call it had not started."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from bench.interrupts import Interrupted, interrupts_end_the_run
from bench.load import LoadError, run_concurrently
from tests.support.waiting import eventually


def _load_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("bench-load")]


def test_an_interrupt_cancels_the_calls_not_yet_started() -> None:
    started: list[int] = []
    release = threading.Event()

    def call(index: int) -> None:
        started.append(index)
        if index == 0:
            os.kill(os.getpid(), signal.SIGTERM)  # the run is interrupted mid-load
            release.wait(10)

    with pytest.raises(Interrupted), interrupts_end_the_run():
        run_concurrently(call, count=1000, concurrency=1)
    release.set()
    eventually(lambda: not _load_threads(), timeout=30)
    assert started == [0]


def test_every_call_runs_and_a_failure_is_counted() -> None:
    def call(index: int) -> None:
        if index % 10 == 3:
            raise ValueError(index)

    latencies = run_concurrently(lambda i: None, count=50, concurrency=4)
    assert len(latencies) == 50
    assert min(latencies) >= 0
    with pytest.raises(LoadError, match="5 of 50 calls failed"):
        run_concurrently(call, count=50, concurrency=4)
