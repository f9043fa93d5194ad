"""What Linux's ``/proc`` says about a process: when it started, its parent, its sockets.

The stack recognises its own processes by pid *and* start time (field 22 of
``/proc/<pid>/stat``, clock ticks since boot), never by name: a pid reused by an
unrelated process after a reboot or a wrap-around has another start time. Only the
current user's processes show their open files; anything unreadable counts as unknown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column


@dataclass(frozen=True, slots=True)
class ProcessStat:
    pid: int
    state: str  # R, S, D, Z (zombie), ...
    ppid: int
    start_time: int  # clock ticks after boot


def stat(pid: int, *, proc: Path = PROC) -> ProcessStat | None:
    """The process's stat line, or None if there is no such process (or no /proc)."""
    try:
        raw = (proc / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return ProcessStat(pid=pid, state=fields[0], ppid=int(fields[1]), start_time=int(fields[19]))


def start_time(pid: int) -> int | None:
    found = stat(pid)
    return found.start_time if found is not None else None


def is_alive(pid: int, started: int) -> bool:
    """True while process ``pid`` started at ``started`` exists and is not a zombie."""
    found = stat(pid)
    return found is not None and found.start_time == started and found.state != "Z"


def command_name(pid: int) -> str | None:
    try:
        return (PROC / str(pid) / "comm").read_text().strip() or None
    except OSError:
        return None


def ancestors(pid: int) -> list[int]:
    """``pid`` and its parents up to (not including) init."""
    chain: list[int] = []
    current: int | None = pid
    while current is not None and current > 1 and current not in chain:
        chain.append(current)
        found = stat(current)
        current = found.ppid if found is not None else None
    return chain


def open_paths(pid: int) -> list[str]:
    """Where the process's file descriptors point (empty when not ours to read)."""
    fd_dir = PROC / str(pid) / "fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return []
    paths: list[str] = []
    for name in names:
        try:
            paths.append(os.readlink(fd_dir / name))
        except OSError:
            continue
    return paths


def _listening_inodes(port: int, *, proc: Path = PROC) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listening_pid(port: int) -> int | None:
    """The pid of a process of ours listening on TCP ``port``, if it can be seen."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    try:
        pids = [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        if wanted.intersection(open_paths(pid)):
            return pid
    return None
