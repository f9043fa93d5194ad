"""devstack.lifeline: the end of standard input is the starter's end, whatever was written.

The whole chain (a pytest session killed, its stack and the stack's children ending) is
tests/lifecycle/test_starter_ends.py; this holds the watch itself on a pipe.
"""

from __future__ import annotations

import os
import threading

from devstack.lifeline import watch_stdin


def test_the_callback_comes_once_the_last_write_end_closes() -> None:
    read, write = os.pipe()
    closed = threading.Event()
    calls: list[int] = []

    def on_close() -> None:
        calls.append(1)
        closed.set()

    try:
        thread = watch_stdin(on_close, fd=read)
        os.write(write, b"anything written is ignored\n")
        os.close(write)
        assert closed.wait(30)
        thread.join(30)
        assert calls == [1]
        assert thread.daemon, "it never keeps the stack's process alive"
    finally:
        os.close(read)
