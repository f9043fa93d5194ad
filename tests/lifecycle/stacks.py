"""``devstack up`` as a developer runs it: on fixed ports, started, stopped, killed, again.

Unlike the session stack (free ports, chosen anew each time), these stacks keep their ports
across restarts, because the mistakes under test are about the same ports and the same
state directory being taken up again at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.ports import DEFAULT_PORTS, env_var, free_port
from devstack.runner import ROOT
from tests.support.processes import launch, stack_endpoints, wait_ready

START_TIMEOUT = 150.0


def fixed_ports() -> dict[str, str]:
    """DEVSTACK_<PIECE>_PORT for every piece, on ports free now (kept for the test)."""
    chosen: set[int] = set()
    for _ in DEFAULT_PORTS:
        port = free_port()
        while port in chosen:
            port = free_port()
        chosen.add(port)
    return {env_var(piece): str(port) for piece, port in zip(DEFAULT_PORTS, chosen, strict=True)}


@dataclass
class Up:
    """One ``python -m devstack up`` process and what it printed."""

    state_dir: Path
    ports: dict[str, str]
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self, *, wait: bool = True) -> Up:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.state_dir.parent / f"{self.state_dir.name}-{time.monotonic_ns()}.log"
        argv = [sys.executable, "-m", "devstack", "--state-dir", str(self.state_dir), "up"]
        argv += ["--no-banner", *self.args]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IDENTITY_", "AZURE_"))}
        env.update(self.ports)
        self.process = launch(argv, what="devstack up", log_path=self.log_path, env=env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> dict[str, Any]:
        assert self.process is not None
        assert self.log_path is not None
        return wait_ready(
            self.process,
            stack_endpoints(self.state_dir, self.process.pid),
            what="devstack up",
            log_path=self.log_path,
            timeout=START_TIMEOUT,
        )

    def endpoints(self) -> dict[str, Any] | None:
        try:
            document: dict[str, Any] = json.loads((self.state_dir / "endpoints.json").read_text())
        except (OSError, ValueError):
            return None
        return document

    def finish(self, timeout: float = 60) -> int:
        """Wait for a stack that is expected to stop on its own (a refused start)."""
        assert self.process is not None
        return self.process.wait(timeout)

    def interrupt(self) -> int:
        """Ctrl-C, and wait until everything it started has stopped."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def kill(self) -> None:
        """``kill -9`` the stack itself, nothing else."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def devstack(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Another ``python -m devstack`` command on ``state_dir`` (env, azurite ...)."""
    return subprocess.run(
        [sys.executable, "-m", "devstack", "--state-dir", str(state_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
