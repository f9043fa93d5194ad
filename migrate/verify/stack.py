"""The local stack started on the migrated app, as a child process of its own.

``python -m devstack up --app-dir APP --no-auth --memory --free-ports`` in a temporary state
directory, so nothing is written into the app or the project's own ``.devstack``. Where the
devstack is not installed beside migrate (``pip install '...[migrate]'`` brings posture, not
the stack), its ``devstack`` command on PATH is used, and with neither the verify stops
with one line saying what to install. Stopped
with SIGTERM to its process group (the stack ends its own children), SIGKILL if it does not.
Bytecode is not written into the app (``PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.errors import VerifyError
from shared.products import install_hint, missing_requirements

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


def devstack_command() -> list[str]:
    """This interpreter's devstack when its dependencies are installed here, else the
    ``devstack`` command on PATH; :class:`VerifyError` names what to install otherwise.

    This environment's own ``devstack`` script is passed over: it is installed with migrate
    but lacks the stack's dependencies, as ``missing_requirements`` just said."""
    if not missing_requirements("devstack"):
        return [sys.executable, "-m", "devstack"]
    here = Path(sys.executable).parent
    elsewhere = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry).is_dir() and os.path.samefile(entry, here))
    ]
    found = shutil.which("devstack", path=os.pathsep.join(elsewhere))
    if found is not None:
        return [found]
    raise VerifyError(
        "verify runs the app on the local stack, which is not installed here: install it "
        f"with {install_hint('devstack')}, or put its devstack command on PATH"
    )


def start(app: Path, state: Path, *, timeout: float) -> StartedStack:
    command = devstack_command()
    state.mkdir(parents=True, exist_ok=True)
    log = state / "stack-output.log"
    argv = [
        *command,
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
        process = subprocess.Popen(  # noqa: S603 (devstack, fixed arguments)
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
