"""bench.harness: the heap probe P7 reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import HeapProbe
from tests.support.unmeasured import unmeasured_env


def test_heap_probe_reads_a_traced_process(tmp_path: Path) -> None:
    probe = HeapProbe(tmp_path)
    # A process that holds about 8 MiB of Python objects, started as the bench starts the host
    # (unmeasured: under make test, coverage's own allocations would be traced too).
    held = "blocks = [bytearray(1024) for _ in range(8192)]"
    idle = "[threading.Thread(target=time.sleep, args=(60,), daemon=True).start() for _ in '123']"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import threading, time; {held}; {idle}; print('ready', flush=True); time.sleep(60)",
        ],
        env={**unmeasured_env(), **probe.settings()},
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        first = probe.read(child.pid, timeout=20).kib
        reading = probe.read(child.pid, timeout=20)
    finally:
        child.kill()
        child.wait()
    assert 8 * 1024 <= first < 16 * 1024
    assert abs(reading.kib - first) < 256  # nothing allocated in between
    assert reading.threads == 4  # the main thread and three idle ones, not the reading's own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heap-1.json", "heap-2.json"]


@pytest.mark.slow
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
            probe.read(child.pid, timeout=2)
    finally:
        child.kill()
        child.wait()
