"""Child processes of the stack: their prefixed logs and log files, and waiting for them.

Children die with the stack. Each is started with Linux's parent-death signal
(``prctl(PR_SET_PDEATHSIG, SIGTERM)`` in the child between fork and exec; it survives
the exec), so ``kill -9`` of the stack, or a closed terminal, stops them too: the
function host and Azurite shut down as on Ctrl-C. The signal follows the *thread* that
forked the child; children are started from the event loop's thread, the main thread,
which lives as long as the stack. Where the signal cannot be set (not Linux), the next
start clears leftovers instead (:mod:`devstack.leftovers`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from devstack.errors import StackError
from devstack.ports import LOOPBACK

__all__ = ["ChildProcess", "StackError", "configure_logging", "wait_for_http", "wait_for_port"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: Lines of a child's output kept to explain its death during start-up.
TAIL_LINES = 20
#: Node.js's last line after an uncaught exception, and the error line above its frames.
_NODE_VERSION = re.compile(r"^Node\.js v\d+\.\d+")
_ERROR_LINE = re.compile(r"^(?:Uncaught )?[A-Za-z]*Error(?: \[[A-Z_]+\])?: ")


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, resolved once in the parent (the child must not load anything)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


_PRCTL = _prctl()


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGTERM when this process dies."""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return preexec


class PrefixFormatter(logging.Formatter):
    """``[piece] message``: the piece is the last part of ``devstack.<piece>``."""

    def format(self, record: logging.LogRecord) -> str:
        name = record.name.removeprefix("devstack.").split(".")[0]
        return f"[{name}] {super().format(record)}"


def configure_logging(log_dir: Path, *, stream: TextIO | None = None) -> None:
    """Log the stack's own pieces to the console and to ``<state>/logs/devstack.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(stream or sys.stdout)
    console.setFormatter(PrefixFormatter("%(message)s"))
    file = logging.FileHandler(log_dir / "devstack.log", encoding="utf-8")
    file.setFormatter(PrefixFormatter("%(asctime)s %(levelname)s %(message)s"))
    root.addHandler(console)
    root.addHandler(file)
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access", "azure", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class ChildProcess:
    """A child whose output is prefixed with its name and copied to a log file.

    Lines matching ``quiet`` (e.g. Azurite's access log) go to the file only; every line
    is also handed to ``on_line`` when given (e.g. to count Azurite's transactions).
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log_dir: Path,
        quiet: re.Pattern[str] | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.log_path = log_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self._quiet = quiet
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._on_line = on_line

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        self._pump = asyncio.create_task(self._copy_output())

    def death_note(self) -> str:
        """Why it stopped, as far as its last line of output says (empty if it said nothing).
        Node.js ends an uncaught exception with its own version, after the error and its
        frames: then the error line says why."""
        lines = [line for line in self.tail if line.strip()]
        if lines and _NODE_VERSION.match(lines[-1]):
            lines = [line for line in lines if _ERROR_LINE.match(line)] or lines
        return lines[-1].strip() if lines else ""

    async def _copy_output(self) -> None:
        if self.process is None or self.process.stdout is None:
            raise RuntimeError(f"{self.name} was not started")
        with self.log_path.open("a", encoding="utf-8") as log:
            async for raw in self.process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip()
                log.write(line + "\n")
                log.flush()
                self.tail.append(line)
                if self._on_line is not None:
                    self._on_line(line)
                if self._quiet is None or not self._quiet.search(line):
                    print(f"[{self.name}] {line}", flush=True)

    async def wait(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        code = await self.process.wait()
        if self._pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pump, timeout=2)
        return code

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the child's process group, then SIGKILL what is left."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.wait(), timeout=timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.wait()


async def exited_during_start(child: ChildProcess) -> StackError:
    """The error for a child that died while starting: its last word and its log file."""
    await child.wait()
    note = child.death_note()
    said = f": {note}" if note else ""
    return StackError(f"{child.name} exited during start-up{said} (log: {child.log_path})")


async def wait_for_port(port: int, child: ChildProcess, timeout: float) -> None:
    """Until ``child`` listens on ``port`` (loopback); :class:`StackError` if it dies or is late."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise await exited_during_start(child)
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(LOOPBACK, port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise StackError(f"{child.name} did not open port {port} within {timeout:.0f}s")


async def wait_for_http(url: str, child: ChildProcess, timeout: float) -> None:
    """Until ``url`` answers; :class:`StackError` if ``child`` dies or is late."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise await exited_during_start(child)
        try:
            await asyncio.to_thread(urllib.request.urlopen, url, timeout=2)
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise StackError(f"{child.name} did not answer {url} within {timeout:.0f}s")
