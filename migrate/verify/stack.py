"""The local stack started on the migrated app, as a child process of its own.

``python -m devstack up --app-dir APP --no-auth --memory --free-ports`` in a temporary state
directory, so nothing is written into the app or the project's own ``.devstack``; stopped
with SIGTERM to its process group (the stack ends its own children), SIGKILL if it does not.
Bytecode is not written into the app (``PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.errors import VerifyError

ROOT = Path(__file__).resolve().parents[2]
POLL_SECONDS = 0.2


@dataclass
class StartedStack:
    process: subprocess.Popen[bytes]
    state: Path
    log: Path
    endpoints: dict[str, Any] | None  # None: the stack refused to start (the log says why)

    def log_tail(self, lines: int = 15) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.strip().splitlines()[-lines:]

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


def start(app: Path, state: Path, *, timeout: float) -> StartedStack:
    state.mkdir(parents=True, exist_ok=True)
    log = state / "stack-output.log"
    argv = [
        sys.executable,
        "-m",
        "devstack",
        "--state-dir",
        str(state),
        "up",
        "--app-dir",
        str(app),
        "--no-auth",
        "--memory",
        "--free-ports",
        "--no-banner",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDENTITY_", "AZURE_", "MSI_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, devstack, fixed arguments)
            argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    stack = StartedStack(process, state, log, None)
    endpoints_file = state / "endpoints.json"
    deadline = time.monotonic() + timeout
    while True:
        if endpoints_file.exists():
            try:
                stack.endpoints = json.loads(endpoints_file.read_text())
                return stack
            except ValueError:
                pass  # being written
        if process.poll() is not None:
            return stack
        if time.monotonic() > deadline:
            stack.stop()
            raise VerifyError(
                f"the local stack did not start within {timeout:.0f} s (log: {log}); "
                "try again with a longer --timeout"
            )
        time.sleep(POLL_SECONDS)
