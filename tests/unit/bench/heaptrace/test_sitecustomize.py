"""bench/heaptrace: a traced interpreter answers SIGUSR1 with its heap, after the app's
queued spans have been sent.

A real interpreter started as P7 starts the host (``PYTHONTRACEMALLOC=1``, the module on
``PYTHONPATH``), with ``shared.tracing`` imported and its flush recorded; it signals itself
and waits for the reading, as the bench does (bench.harness.HeapProbe).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.harness import HeapProbe
from devstack.runner import ROOT

CHILD = """
import os, signal, sys, time
from pathlib import Path
from shared import tracing

def flush(timeout_s=10.0):
    Path(sys.argv[1], "flushed").write_text(str(len(list(Path(sys.argv[1]).iterdir()))))
    return True

tracing.flush_tracing = flush
held = [bytes(1024) for _ in range(4096)]  # 4 MiB of objects the reading must count
os.kill(os.getpid(), signal.SIGUSR1)
deadline = time.monotonic() + 60
while not Path(sys.argv[1], "heap-1.json").exists() and time.monotonic() < deadline:
    time.sleep(0.05)
"""


def test_a_reading_counts_the_heap_after_the_spans_were_sent(tmp_path: Path) -> None:
    probe = HeapProbe(tmp_path)
    env = {**os.environ, **probe.settings(), "PYTHONPATH": f"{HeapProbe.SITE}{os.pathsep}{ROOT}"}
    subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], env=env, cwd=ROOT, check=True, timeout=120
    )
    reading = json.loads((tmp_path / "heap-1.json").read_text())
    assert reading["traced_bytes"] >= 4 * 1024 * 1024
    assert (tmp_path / "flushed").read_text() == "0", "the flush came after the reading"


def test_an_untraced_interpreter_installs_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(HeapProbe.SITE), "BENCH_HEAP_DIR": str(tmp_path)}
    env.pop("PYTHONTRACEMALLOC", None)
    code = "import signal; print(signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"
