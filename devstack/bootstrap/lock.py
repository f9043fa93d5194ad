"""One set-up at a time per checkout: an exclusive ``flock`` on ``.setup.lock``.

The kernel drops the lock however its holder ends (flock(2)), so a killed set-up never
leaves a stale lock. The file names the holder's pid for the line a waiting set-up prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

LOCK_NAME = ".setup.lock"


@contextlib.contextmanager
def setup_lock(root: Path, *, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the checkout's set-up lock; wait (saying so once) while another set-up holds it."""
    path = root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            say(f"setup: another set-up of this checkout is running (pid {holder}); waiting for it")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # drops the lock
