"""A long command's output as progress lines, its whole output in a log file.

pip and npm are quiet when their output is not a terminal (no progress bar), and their full
output is hundreds of lines. Each line is written to the log; the lines that mark a step (a
package collected, a tarball fetched) are counted, and the count is shown: on a terminal as
one line rewritten in place, elsewhere as a line every few seconds. On failure the caller
shows the log.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

#: Seconds between progress lines when the output is not a terminal.
INTERVAL = 5.0


class Progress:
    """Counts steps and reports them: ``label: collected 12 (name)``."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total = label, total
        self.out = out or sys.stdout
        self._clock = clock
        self.count = 0
        self._tty = self.out.isatty()
        self._last = 0.0
        self._shown = ""

    def step(self, what: str, verb: str) -> None:
        self.count += 1
        of = f"/{self.total}" if self.total else ""
        self.show(f"{self.label}: {verb} {self.count}{of} ({what})")

    def show(self, text: str, *, force: bool = False) -> None:
        now = self._clock()
        if self._tty:
            self.out.write("\r\033[K" + text)
            self.out.flush()
            self._shown = text
        elif force or now - self._last >= INTERVAL:
            self.out.write(text + "\n")
            self.out.flush()
            self._last = now

    def done(self) -> None:
        if self._tty and self._shown:
            self.out.write("\n")
            self.out.flush()


def run_logged(
    argv: Sequence[str],
    *,
    log: Path,
    on_line: Callable[[str], None],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    append: bool = False,
) -> int:
    """Run ``argv`` with stdout and stderr into ``log``, each line handed to ``on_line``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a" if append else "w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        for line in process.stdout or ():
            sink.write(line)
            on_line(line.rstrip("\n"))
        return process.wait()
