"""Ctrl-C and SIGTERM end a benchmark run the way an error would: through every ``finally``.

Python ends on SIGTERM without unwinding, so a ``timeout`` (which sends SIGTERM to its
whole process group) would leave the run's temporary directories behind and its stacks to
notice on their own that the run is gone. Here the first SIGINT or SIGTERM raises
:class:`Interrupted` in the main thread instead: the case in flight is abandoned (the load
runner cancels what it had not started, :mod:`bench.load`), each stack is stopped by the
``with`` block that started it, and the run exits with 128 + the signal's number, as a
shell reports a process ended by it.

While it stops, a second Ctrl-C ends the process at once (its stacks still stop, as their
lifeline closes: :mod:`devstack.lifeline`), but further SIGTERMs are ignored: they come in
pairs, since ``timeout`` signals its whole process group and make, on SIGTERM, sends its
own to the recipe it runs (GNU make's ``fatal_error_signal``). The clean-up is bounded
(a stack gets 30 s to stop, then SIGKILL); ``kill -9`` is always there.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Interrupted", "interrupts_end_the_run"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run was asked to stop (a BaseException, so no ``except Exception`` keeps it going)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.signal_name = signal.Signals(signum).name


def _raise(signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C ends it at once
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM is the same request
    raise Interrupted(signum)


@contextmanager
def interrupts_end_the_run() -> Iterator[None]:
    """For the ``with`` block (on the main thread): SIGINT and SIGTERM raise Interrupted."""
    saved = {each: signal.getsignal(each) for each in SIGNALS}
    for each in SIGNALS:
        signal.signal(each, _raise)
    try:
        yield
    finally:
        for each, handler in saved.items():
            signal.signal(each, handler)
