"""Progress lines: rewritten in place on a terminal, one every few seconds elsewhere."""

from __future__ import annotations

import io

from devstack.bootstrap.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_one_line_rewritten() -> None:
    out = Terminal()
    counter = Progress("setup: npm", total=3, out=out)
    for name in ("a", "b", "c"):
        counter.step(name, "fetched")
    counter.done()
    text = out.getvalue()
    assert text.count("\n") == 1  # one line, ended once
    assert text.endswith("\r\033[Ksetup: npm: fetched 3/3 (c)\n")


def test_a_log_sees_the_first_step_then_one_line_per_interval() -> None:
    clock = iter([100.0, 101.0, 102.0, 106.0])
    out = io.StringIO()
    counter = Progress("setup: pip (.venv)", out=out, clock=lambda: next(clock))
    for name in ("a==1", "b==2", "c==3", "d==4"):
        counter.step(name, "collected")
    assert out.getvalue().splitlines() == [
        "setup: pip (.venv): collected 1 (a==1)",
        "setup: pip (.venv): collected 4 (d==4)",
    ]
