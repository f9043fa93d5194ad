"""Loaded into P7's function host by ``python -m bench`` (through PYTHONPATH).

With ``PYTHONTRACEMALLOC`` set, the host traces every Python allocation; on SIGUSR1
it collects garbage and writes the bytes still held by Python objects to
``$BENCH_HEAP_DIR/heap-<n>.json``. Set against the process RSS, that separates a
leak (Python objects piling up) from the C allocator keeping memory it has grown.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import tracemalloc
from pathlib import Path
from types import FrameType

_DIR = os.environ.get("BENCH_HEAP_DIR")
_count = 0


def _write_heap(_signum: int, _frame: FrameType | None) -> None:
    global _count
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    _count += 1
    target = Path(str(_DIR)) / f"heap-{_count}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps({"traced_bytes": current, "peak_bytes": peak}))
    partial.rename(target)  # the reader never sees half a file


if _DIR and tracemalloc.is_tracing():
    signal.signal(signal.SIGUSR1, _write_heap)
