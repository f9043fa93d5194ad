"""bench.cases: the interleaved P4 rounds and the heap probe P7 reads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.cases import HeapProbe, interleaved


def test_interleaved_rotates_the_order_and_splits_the_count() -> None:
    lock = threading.Lock()
    order: list[str] = []

    def side(name: str) -> Callable[[int], None]:
        def call(_: int) -> None:
            with lock:
                order.append(name)

        return call

    samples = interleaved(
        {"a": side("a"), "b": side("b"), "c": side("c")}, count=7, concurrency=1, rounds=3
    )

    assert {name: len(values) for name, values in samples.items()} == {"a": 7, "b": 7, "c": 7}
    # Rounds of 3, 2 and 2 calls per side; each round starts with the next side.
    runs = [order[i] for i in range(len(order)) if i == 0 or order[i] != order[i - 1]]
    assert runs == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(latency >= 0 for values in samples.values() for latency in values)


def test_heap_probe_reads_a_traced_process(tmp_path: Path) -> None:
    probe = HeapProbe(tmp_path)
    # A process that holds about 8 MiB of Python objects, started as the bench starts the host.
    held = "blocks = [bytearray(1024) for _ in range(8192)]"
    child = subprocess.Popen(
        [sys.executable, "-c", f"import time; {held}; print('ready', flush=True); time.sleep(60)"],
        env={**os.environ, **probe.settings()},
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        first = probe.traced_kib(child.pid, timeout=20)
        second = probe.traced_kib(child.pid, timeout=20)
    finally:
        child.kill()
        child.wait()
    assert 8 * 1024 <= first < 16 * 1024
    assert abs(second - first) < 256  # nothing allocated in between
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heap-1.json", "heap-2.json"]


def test_heap_probe_says_when_the_process_is_not_traced(tmp_path: Path) -> None:
    probe = HeapProbe(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
        env={**os.environ, **probe.settings(), "PYTHONTRACEMALLOC": ""},
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        # Untraced, the probe installs no handler: SIGUSR1 ends the process, no file appears.
        with pytest.raises(RuntimeError, match="no heap reading"):
            probe.traced_kib(child.pid, timeout=2)
    finally:
        child.kill()
        child.wait()
