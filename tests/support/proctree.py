"""The processes a test started, by pid *and* start time, and waiting for every one to end.

A process tree is read from Linux's ``/proc`` (:mod:`devstack.procfs`): a process's
children are the processes whose parent it is. Nothing is found by name, and a pid reused
by an unrelated process after one of ours ended has another start time, so it never counts
as ours (:func:`devstack.procfs.is_alive`).
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from devstack import procfs
from tests.support.waiting import eventually

#: A process seen in a tree: (pid, start time in clock ticks after boot).
Seen = tuple[int, int]


def tree(root: int) -> set[Seen]:
    """``root`` and every process descending from it, as they are now."""
    parents: dict[int, list[int]] = {}
    for name in os.listdir(procfs.PROC):
        if not name.isdigit():
            continue
        found = procfs.stat(int(name))
        if found is not None and found.state != "Z":
            parents.setdefault(found.ppid, []).append(found.pid)
    seen: set[Seen] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        started = procfs.start_time(pid)
        if started is None or (pid, started) in seen:
            continue
        seen.add((pid, started))
        todo.extend(parents.get(pid, []))
    return seen


def alive(processes: set[Seen]) -> set[Seen]:
    """Those of ``processes`` still running (a zombie has ended)."""
    return {(pid, started) for pid, started in processes if procfs.is_alive(pid, started)}


def command_line(pid: int) -> str:
    """The process's arguments joined by spaces ('' once it is gone)."""
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_until_all_ended(processes: set[Seen], *, timeout: float) -> None:
    """Poll until none of ``processes`` runs; fail naming the ones left."""

    def none_left() -> bool:
        return not alive(processes)

    try:
        eventually(none_left, timeout=timeout, interval=0.5)
    except AssertionError:
        left = {pid: command_line(pid) for pid, _ in alive(processes)}
        raise AssertionError(f"still running {timeout:.0f} s later: {left}") from None


def kill_left(processes: set[Seen]) -> None:
    """SIGKILL whichever of ``processes`` still run (a failed test's clean-up: ours only)."""
    for pid, _ in alive(processes):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
