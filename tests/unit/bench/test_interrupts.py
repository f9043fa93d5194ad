"""bench.interrupts: SIGTERM and Ctrl-C unwind the run; a second SIGTERM (make sends its own
after timeout's) does not cut the clean-up short, a second Ctrl-C does."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bench.interrupts import Interrupted, interrupts_end_the_run


def _wait_for_the_signal() -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the handler runs in this thread at the next step
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_first_signal_unwinds_and_the_handlers_are_restored_after(
    signum: signal.Signals,
) -> None:
    before = {each: signal.getsignal(each) for each in (signal.SIGINT, signal.SIGTERM)}
    during: dict[int, object] = {}

    def interrupted() -> None:
        with interrupts_end_the_run():
            try:
                os.kill(os.getpid(), signum)
                _wait_for_the_signal()
            except Interrupted:
                during.update({each: signal.getsignal(each) for each in before})
                raise

    with pytest.raises(Interrupted) as caught:
        interrupted()
    assert caught.value.signum == signum
    assert caught.value.signal_name == signum.name
    assert during == {signal.SIGINT: signal.SIG_DFL, signal.SIGTERM: signal.SIG_IGN}
    assert {each: signal.getsignal(each) for each in before} == before


def test_it_is_no_exception_an_except_exception_would_keep() -> None:
    assert not issubclass(Interrupted, Exception)
