"""What the stack's OTLP receiver took, and what taking it cost the stack.

``GET /devstack/stats/traces``: export requests kept and refused, their bytes, and the CPU
seconds the receiver's thread spent checking and keeping them. The benchmarks count that CPU
against tracing (P4t): the stack shares the machine with the app it serves, so what it
spends receiving spans is time the app's submissions wait for.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any


class Received:
    """The receiver's counters (the control plane's ``Counters``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = self._refused = self._bytes = 0
        self._cpu_seconds = 0.0

    def kept(self, size: int, cpu_seconds: float) -> None:
        with self._lock:
            self._requests += 1
            self._bytes += size
            self._cpu_seconds += cpu_seconds

    def refused(self, cpu_seconds: float) -> None:
        with self._lock:
            self._refused += 1
            self._cpu_seconds += cpu_seconds

    def stats(self) -> Mapping[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "refused": self._refused,
                "bytes": self._bytes,
                "cpu_seconds": self._cpu_seconds,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._requests = self._refused = self._bytes = 0
            self._cpu_seconds = 0.0
