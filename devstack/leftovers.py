"""The stack's child processes on record, so a start can clear what a killed stack left.

Children die with the stack (:mod:`devstack.processes` asks Linux for a parent-death
signal), but a child that ignores it, or one started by an older devstack, can survive
``kill -9`` of the stack and keep holding its port. So each child's pid and start time
are written to ``<state>/children.json`` as it starts; the next ``up`` on that state
directory (holding its lock, so no live stack owns them) stops every recorded process
that still exists *with the same start time*: the process the stack started, never an
unrelated one that reused the pid, and never anything found by name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from devstack import procfs
from devstack.files import write_private_json

logger = logging.getLogger("devstack.leftovers")

RECORD = "children.json"
GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Recorded:
    name: str
    pid: int
    start_time: int


def record(state_dir: Path, children: Iterable[tuple[str, int]]) -> None:
    """Write the running children (name, pid) with their start times."""
    entries = []
    for name, pid in children:
        started = procfs.start_time(pid)
        if started is not None:
            entries.append({"name": name, "pid": pid, "start_time": started})
    write_private_json(state_dir / RECORD, {"children": entries})


def recorded(state_dir: Path) -> list[Recorded]:
    try:
        document = json.loads((state_dir / RECORD).read_text())
        return [
            Recorded(str(e["name"]), int(e["pid"]), int(e["start_time"]))
            for e in document["children"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def clear(state_dir: Path, *, grace: float = GRACE_SECONDS) -> list[Recorded]:
    """Stop the recorded children still alive (SIGTERM, then SIGKILL after ``grace``).

    Call only while holding the state directory's lock. Returns what was stopped.
    """
    alive = [c for c in recorded(state_dir) if procfs.is_alive(c.pid, c.start_time)]
    for child in alive:
        logger.warning(
            "stopping %s (pid %d), left running by a devstack that did not stop cleanly",
            child.name,
            child.pid,
        )
        _signal(child, signal.SIGTERM)
    killed_at = time.monotonic() + grace
    give_up = killed_at + 5.0
    while any(procfs.is_alive(c.pid, c.start_time) for c in alive):
        now = time.monotonic()
        if now > give_up:
            break
        if now > killed_at:
            for child in alive:
                if procfs.is_alive(child.pid, child.start_time):
                    _signal(child, signal.SIGKILL)
            killed_at = give_up
        time.sleep(0.05)
    (state_dir / RECORD).unlink(missing_ok=True)
    return alive


def _signal(child: Recorded, signum: int) -> None:
    """The child's process group when it leads one (the stack starts each in its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(child.pid) == child.pid:
            os.killpg(child.pid, signum)
        else:
            os.kill(child.pid, signum)
