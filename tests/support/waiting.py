"""Waiting for what the stack does in the background: a worker, a timer, a poison queue."""

from __future__ import annotations

import time
from typing import Any


def eventually(check: Any, *, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll ``check()`` until it returns a truthy value; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
