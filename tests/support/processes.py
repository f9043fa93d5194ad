"""Starting a devstack process for a test and waiting until it is ready: one loop for all.

A function host on the session's stack (:func:`devstack_host`), a whole ``python -m devstack
up`` (:func:`stack_endpoints` says when it is ready): each is started
in a session of its own (so stopping it stops its children), its output kept in a log file,
and polled until ready. A process that exits first, or is not ready in time, fails the test
with the end of its log, and is stopped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import requests

from devstack.runner import ROOT, stop_process
from tests.support.marks import require_stack

T = TypeVar("T")

LOG_TAIL = 3000
POLL_SECONDS = 0.2


class NotReady(AssertionError):
    """The process exited, or did not get ready in time; the message ends with its log."""


def launch(
    argv: Sequence[str], *, what: str, log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` from the repository root, its output (both streams) into ``log_path``."""
    require_stack(what)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], T | None],
    *,
    what: str,
    log_path: Path,
    timeout: float,
) -> T:
    """Poll ``ready()`` until it returns a value; :class:`NotReady` if the process exits or
    the time runs out first (the process is left to the caller)."""
    deadline = time.monotonic() + timeout
    while True:
        found = ready()
        if found is not None:
            return found
        if process.poll() is not None:
            exited = process.returncode
            raise NotReady(f"{what} exited {exited} before it was ready:\n{tail(log_path)}")
        if time.monotonic() > deadline:
            raise NotReady(f"{what} was not ready within {timeout:g}s:\n{tail(log_path)}")
        time.sleep(POLL_SECONDS)


def tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-LOG_TAIL:] if log_path.exists() else ""


def host_answers(base: str) -> Callable[[], bool | None]:
    """A readiness check: the host's ``/admin/host/ping`` answers 200. Refused or timed-out
    connections are what "not yet" looks like; anything else is an error and propagates."""

    def check() -> bool | None:
        try:
            answered = requests.get(f"{base}/admin/host/ping", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return None
        return True if answered else None

    return check


def stack_endpoints(state_dir: Path, pid: int) -> Callable[[], dict[str, Any] | None]:
    """A readiness check: ``endpoints.json`` as the stack of ``pid`` wrote it (a file left by a
    stack that was killed names another pid). Missing or half-written is "not yet"."""

    def check() -> dict[str, Any] | None:
        try:
            endpoints: dict[str, Any] = json.loads((state_dir / "endpoints.json").read_text())
        except (OSError, ValueError):
            return None
        return endpoints if endpoints.get("pid") == pid else None

    return check


@contextmanager
def devstack_host(
    app_dir: Path,
    *,
    port: int,
    work: Path,
    env: dict[str, str],
    extra_args: Sequence[str] = (),
    timeout: float = 60.0,
    what: str = "the function host",
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m devstack.host`` on ``app_dir`` and ``port`` (state under ``work/state``,
    output in ``work/host.log``), ready when it answers its ping; stopped on exit."""
    argv = [sys.executable, "-m", "devstack.host", "--app-dir", str(app_dir), "--port", str(port)]
    argv += ["--state-dir", str(work / "state"), *extra_args]
    log_path = work / "host.log"
    process = launch(argv, what=what, log_path=log_path, env=env)
    try:
        wait_ready(
            process,
            host_answers(f"http://127.0.0.1:{port}"),
            what=what,
            log_path=log_path,
            timeout=timeout,
        )
        yield process
    finally:
        stop_process(process)
