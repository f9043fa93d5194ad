"""Headless Chromium (Debian's ``chromium``) for the pages a person reads.

A page test renders the page in a real browser and reads back what Chromium built:
:func:`render` dumps the DOM after scripts ran and the console's log; :class:`Browser` keeps
a page open over the DevTools protocol (``--remote-debugging-pipe``: commands on the child's
fd 3, answers and events on its fd 4, each a JSON message ended by a NUL byte, so no driver
and no WebSocket client) and evaluates expressions in it, for what the layout engine made
of the page: positions, sizes, colours. Chromium is a system package, not a pip or npm
dependency: ``.ci/run`` installs it; on a developer's machine without it the page tests are
skipped with the command that installs it, while under ``CI`` a missing browser fails the
run, so a green CI always means the pages were rendered.

The flags keep Chromium off the network it would otherwise try at start (component
updates, sync, background requests): the machines this runs on reach no host but loopback.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

INSTALL_HINT = "apt-get install chromium"

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass(frozen=True)
class Rendered:
    """What the browser made of a page: its DOM after scripts ran, and its log."""

    dom: str
    log: str


def chromium() -> str:
    """The browser's path; skips (locally) or fails (under CI) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = f"Debian's chromium is not installed ({INSTALL_HINT})"
    if os.environ.get("CI"):
        pytest.fail(message + ": CI must render every page a person reads")
    pytest.skip(message)


def render(url: str, profile: Path, *, timeout: float = 120.0) -> Rendered:
    """Load ``url`` (``file://`` or loopback ``http://``) headless and dump the built DOM."""
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Rendered(dom=proc.stdout, log=proc.stderr)


class BrowserError(RuntimeError):
    """The browser did not start, answered with an error, or did not answer in time."""


class Browser:
    """One headless chromium with one page."""

    def __init__(self, *, width: int = 1280, height: int = 900, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()

        def pipes_at_3_and_4() -> None:  # in the child, before exec
            os.dup2(commands_read, 3)
            os.dup2(answers_write, 4)

        self._process = subprocess.Popen(
            [
                chromium(),
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=pipes_at_3_and_4,
        )
        os.close(commands_read)
        os.close(answers_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]
        self._call("Page.enable", session=True)
        self._call("Runtime.enable", session=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send({"id": self._new_id(), "method": "Browser.close"})
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=15)
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    # -- what a test asks -----------------------------------------------------------------

    def open(self, url: str) -> None:
        """Navigate and wait for the page's load event."""
        self._events.clear()
        answer = self._call("Page.navigate", {"url": url}, session=True)
        if answer.get("errorText"):
            raise BrowserError(f"{url} did not load: {answer['errorText']}")
        self._wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` evaluated in the page."""
        answer = self._call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in answer:
            raise BrowserError(f"the page threw: {answer['exceptionDetails'].get('text')}")
        return answer["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self._call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def console_errors(self) -> list[str]:
        """Messages the page logged as errors or threw, since it was opened."""
        found = []
        for event in self._events:
            if event.get("method") == "Runtime.exceptionThrown":
                found.append(str(event["params"]["exceptionDetails"].get("text")))
            called = event.get("method") == "Runtime.consoleAPICalled"
            if called and event["params"].get("type") == "error":
                found.append(json.dumps(event["params"].get("args")))
        return found

    # -- the protocol ---------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _send(self, message: dict[str, Any]) -> None:
        os.write(self._commands, json.dumps(message).encode() + b"\0")

    def _call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False
    ) -> dict[str, Any]:
        ident = self._new_id()
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        self._send(message)
        while True:
            answer = self._receive()
            if answer.get("id") == ident:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message')}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self._events.append(answer)

    def _wait_for(self, event: str) -> dict[str, Any]:
        for seen in self._events:
            if seen.get("method") == event:
                return seen
        while True:
            message = self._receive()
            self._events.append(message)
            if message.get("method") == event:
                return message

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self._process.poll() is not None:
                raise BrowserError("chromium did not answer in time (or exited)")
            ready, _, _ = select.select([self._answers], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._answers, 1 << 16)
                if not chunk:
                    raise BrowserError("chromium closed its DevTools pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message
