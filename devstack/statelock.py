"""One stack per state directory: an exclusive lock held for the stack's whole life.

``devstack up`` takes ``fcntl.flock(LOCK_EX)`` on ``<state>/devstack.lock`` before it
touches anything else there (certificates, ``endpoints.json``, the vault's file), and
holds it until it exits; the kernel drops it when the process dies, however it dies, so
there is never a stale lock to clean up. The file records the holder's pid and start
time for the message a second ``up`` prints. The lock's descriptor is not inherited by
child processes, so only the stack itself holds it.

The same lock answers "is a stack running here?" for the other commands (a stale
``endpoints.json`` left by a killed stack is recognised as such) and, through the open
descriptor, "which stack holds this port?".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from devstack import procfs
from devstack.errors import StackBusyError

LOCK_NAME = "devstack.lock"


@dataclass(frozen=True, slots=True)
class Holder:
    """The stack that holds a state directory."""

    pid: int | None
    state_dir: Path
    since: str | None = None

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid is not None else "pid unknown"
        since = f", since {self.since}" if self.since else ""
        return f"the devstack running on {self.state_dir} ({pid}{since})"

    def how_to_stop(self) -> str:
        kill = f", or `kill {self.pid}`" if self.pid is not None else ""
        return f"stop it first (Ctrl-C in its terminal{kill})"


class StateLock:
    """The held lock; :meth:`release` (or process exit) lets the next stack in."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, state_dir: Path, *, retry_for: float = 1.0) -> StateLock:
        """Take the state directory, or raise :class:`StackBusyError` naming the holder."""
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / LOCK_NAME
        deadline = time.monotonic() + retry_for
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                holder = _holder_record(path, state_dir)
                # A checker's brief shared lock, or a holder that is exiting: try again.
                if holder.pid is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise StackBusyError(
                    f"{holder.describe()} already holds it: {holder.how_to_stop()}, or give "
                    "this one its own --state-dir (and ports)"
                ) from None
            break
        me = os.getpid()
        record = {
            "pid": me,
            "start_time": procfs.start_time(me),
            "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return cls(fd, path)

    def removed(self) -> bool:
        """Whether the lock file was deleted (with its state directory, say) while held:
        the open descriptor outlives the name, whose link count drops to zero."""
        if self._fd is None:
            return False
        return os.fstat(self._fd).st_nlink == 0

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the only descriptor drops the lock
        self._fd = None


def holder(state_dir: Path) -> Holder | None:
    """The stack holding ``state_dir`` now, or None when no stack runs there."""
    path = state_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder_record(path, state_dir)
    finally:
        os.close(fd)  # releases the shared lock if it was taken
    return None


def stack_of(pid: int) -> Holder | None:
    """The devstack that process ``pid`` belongs to (itself or an ancestor holds a lock)."""
    for candidate in procfs.ancestors(pid):
        for target in procfs.open_paths(candidate):
            if target.endswith(f"/{LOCK_NAME}"):
                lock = Path(target)
                record = _holder_record(lock, lock.parent)
                return Holder(pid=candidate, state_dir=lock.parent, since=record.since)
    return None


def _holder_record(path: Path, state_dir: Path) -> Holder:
    try:
        record = json.loads(path.read_text() or "{}")
        pid = int(record["pid"])
        started = record.get("start_time")
    except (OSError, ValueError, KeyError, TypeError):
        return Holder(pid=None, state_dir=state_dir)
    if started is not None and not procfs.is_alive(pid, int(started)):
        return Holder(pid=None, state_dir=state_dir)
    return Holder(pid=pid, state_dir=state_dir, since=record.get("since"))
