"""A stack started by another program stops when that program ends, however it ends.

The test session and the benchmarks start ``devstack up`` in a session of its own (so a
Ctrl-C meant for them does not cut a stack mid-request), which also means a SIGTERM sent
to their process group never reaches it, and a SIGKILL gives them no chance to stop it:
the stack, its Azurite and its host would run on, orphaned. So the starter holds a
*lifeline*: the write end of a pipe that is the stack's standard input. Nothing is ever
written on it; when the starter ends (returns, raises, or is killed by any signal), the
operating system closes the write end, the stack reads end-of-file, and stops as on
Ctrl-C. The stack's own children follow it (:mod:`devstack.processes`).

A pipe rather than a watch of the parent's pid: end-of-file comes at once, on any
operating system, and is never confused by a recycled pid; and rather than Linux's
parent-death signal for the stack itself, which follows the *thread* that started the
child: a test that starts a stack from a worker thread would see it die with the thread.
A process the starter forks (without exec) holds the write end too, so the stack lives as
long as the last of them, never shorter.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

__all__ = ["watch_stdin"]


def _read_until_closed(fd: int, on_close: Callable[[], None]) -> None:
    try:
        while os.read(fd, 4096):
            pass  # nothing is ever written; anything that is, is ignored
    except OSError:
        pass  # a broken pipe is a closed one
    on_close()


def watch_stdin(on_close: Callable[[], None], *, fd: int = 0) -> threading.Thread:
    """Call ``on_close`` (from another thread) once standard input reaches its end."""
    thread = threading.Thread(
        target=_read_until_closed, args=(fd, on_close), name="lifeline", daemon=True
    )
    thread.start()
    return thread
