"""Loaded into P7's function host by ``python -m bench`` (through PYTHONPATH).

With ``PYTHONTRACEMALLOC`` set, the host traces every Python allocation; on SIGUSR1
it exports the spans still queued (they are in flight, not kept: with tracing on, how many
wait for the next batch varies by hundreds of KiB from one reading to the next), collects
garbage and writes the bytes still held by Python objects to
``$BENCH_HEAP_DIR/heap-<n>.json``, with the process's threads (each pool's threads are
kept once started: the heap grows with the most calls a pool ever ran at once, up to its
bound, which is not a leak). Set against the process RSS, that separates a
leak (Python objects piling up) from the C allocator keeping memory it has grown.

The reading runs on a thread of its own: a signal handler runs on the main thread between
two bytecodes, which may be inside the tracing code the flush needs.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import tracemalloc
from pathlib import Path
from types import FrameType

_DIR = os.environ.get("BENCH_HEAP_DIR")
_count = 0
_lock = threading.Lock()


def _read_heap() -> None:
    global _count
    with _lock:
        tracing = sys.modules.get("shared.tracing")  # the app's, once it has started
        if tracing is not None:
            tracing.flush_tracing()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        threads = threading.active_count() - 1  # not this reading's own
        _count += 1
        target = Path(str(_DIR)) / f"heap-{_count}.json"
        partial = target.with_suffix(".partial")
        partial.write_text(
            json.dumps({"traced_bytes": current, "peak_bytes": peak, "threads": threads})
        )
        partial.rename(target)  # the reader never sees half a file


def _on_signal(_signum: int, _frame: FrameType | None) -> None:
    threading.Thread(target=_read_heap, name="bench-heap", daemon=True).start()


if _DIR and tracemalloc.is_tracing():
    signal.signal(signal.SIGUSR1, _on_signal)
