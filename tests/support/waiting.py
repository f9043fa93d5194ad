"""Waiting for what the stack does in the background: a worker, a timer, a poison queue.

A check that is not satisfied yet returns a falsy value, or raises one of the exceptions the
caller names as "not yet" (a blob that is not written yet: ``ResourceNotFoundError``). Any
other exception is a real error and ends the wait at once; on timeout the message carries
the last value and the last "not yet" exception, so a failure shows its cause.
"""

from __future__ import annotations

import time
from typing import Any


def eventually(
    check: Any,
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """Poll ``check()`` until it returns a truthy value, and return that value.

    :keyword ignoring: exceptions that mean "not yet"; anything else propagates.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    error: BaseException | None = None
    while True:
        try:
            last = check()
        except ignoring as exc:
            last, error = None, exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    cause = f"; last exception: {type(error).__name__}: {error}" if error is not None else ""
    raise AssertionError(
        f"condition not met within {timeout:g}s (last value: {last!r}{cause})"
    ) from error
