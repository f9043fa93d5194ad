"""Run the real devstack in a child process and talk to it as the app would.

The test session (``tests/conftest.py``) and the benchmarks (``python -m bench``) both
start a stack this way: ``python -m devstack up`` on free ports, in memory, with the
given app settings; :class:`RunningStack` then reads ``endpoints.json`` and offers the
app's identity, caller tokens, the control plane and the stack's counters.

The stack runs in a session of its own (a Ctrl-C meant for the tests does not reach it),
and with ``--stop-on-stdin-close``: its standard input is a pipe whose other end this
process holds (:mod:`devstack.lifeline`). However this process ends, a SIGTERM to its
process group or a SIGKILL included, the stack sees the pipe close and stops, and its
Azurite and host with it: nothing a test session or a benchmark started outlives it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from devstack.tokens import (
    DEFAULT_APP_AUDIENCE,
    DEV_CALLER_OBJECT_ID,
    IssuerCredential,
    TokenIssuer,
)

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 150.0

#: Settings every stack started here runs with: fast retries, fast polling.
TEST_APP_SETTINGS = {
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:00",
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.500",
}


@dataclass
class RunningStack:
    state_dir: Path
    endpoints: dict[str, Any]
    log_path: Path
    process: subprocess.Popen[bytes]
    _issuer: TokenIssuer | None = field(default=None, repr=False)

    @property
    def api(self) -> str:
        return str(self.endpoints["api"])

    @property
    def ca_bundle(self) -> str:
        return str(self.endpoints["ca_bundle"])

    @property
    def app_env(self) -> dict[str, str]:
        env: dict[str, str] = json.loads(Path(self.endpoints["app_env_file"]).read_text())
        return env

    def issuer(self) -> TokenIssuer:
        """The stack's token issuer (its key read once from the state directory)."""
        if self._issuer is None:
            self._issuer = TokenIssuer.load_or_create(Path(self.endpoints["signing_key"]))
        return self._issuer

    def blob_service(self) -> BlobServiceClient:
        """Blob access with the app's identity, as an operator or provisioning step would."""
        return BlobServiceClient(
            self.endpoints["blob"],
            IssuerCredential(self.issuer()),
            connection_verify=self.ca_bundle,
        )

    def queue_service(self) -> QueueServiceClient:
        """Queue access with the app's identity (messages sent raw unless told otherwise)."""
        return QueueServiceClient(
            self.endpoints["queue"],
            IssuerCredential(self.issuer()),
            connection_verify=self.ca_bundle,
        )

    def caller_token(
        self,
        *roles: str,
        object_id: str = DEV_CALLER_OBJECT_ID,
        audience: str | None = None,
        lifetime: int = 600,
    ) -> str:
        """A caller token for the stack's API (its audience unless told otherwise)."""
        return (
            self.issuer()
            .mint(
                audience or str(self.endpoints["audience"]),
                object_id=object_id,
                app_id="caller",
                roles=list(roles),
                lifetime=lifetime,
            )
            .token
        )

    @contextmanager
    def as_app(self) -> Iterator[dict[str, str]]:
        """Run the block with the app's identity and CA settings in ``os.environ``."""
        wanted = {
            name: self.app_env[name]
            for name in (
                "IDENTITY_ENDPOINT",
                "IDENTITY_HEADER",
                "REQUESTS_CA_BUNDLE",
                "SSL_CERT_FILE",
            )
        }
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield self.app_env
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def control(self, path: str) -> str:
        """A URL of the stack's control plane, e.g. ``control("faults/partner")``."""
        return f"{self.endpoints['control']}/{path}"

    @property
    def partner_auth(self) -> str:
        """``key`` or ``entra``: how the app authenticates to the partner on this stack."""
        return str(self.endpoints.get("partner_auth") or "key")

    def stats(self, piece: str) -> dict[str, Any]:
        """The counters of one piece: ``identity``, ``vault``, ``partner``, ``tenant``,
        ``storage`` or ``traces``."""
        stats: dict[str, Any] = requests.get(self.control(f"stats/{piece}"), timeout=10).json()
        return stats

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_stack(
    state_dir: Path,
    *,
    app_settings: dict[str, str] | None = None,
    memory: bool = True,
    audience: str = DEFAULT_APP_AUDIENCE,
    blueprints: tuple[str, ...] = (),
    host: str = "devstack",
    auth: bool = True,
    partner_auth: str = "key",
) -> RunningStack:
    """``python -m devstack up`` on free ports (in memory unless told); wait for endpoints.json.

    ``blueprints`` are extra Blueprint modules for the devstack host (a benchmark's no-op
    function); ``host="none"`` starts the services without a function host; ``auth=False``
    runs it without App Service Authentication (``--no-auth``); ``partner_auth="entra"``
    runs the partner with Entra tokens and no key (``--partner-auth entra``).
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "stack-output.log"
    argv = [
        sys.executable,
        "-m",
        "devstack",
        "--state-dir",
        str(state_dir),
        "up",
        *(["--memory"] if memory else []),
        "--free-ports",
        "--no-banner",
        "--audience",
        audience,
        "--stop-on-stdin-close",
    ]
    for name, value in {**TEST_APP_SETTINGS, **(app_settings or {})}.items():
        argv += ["--app-setting", f"{name}={value}"]
    for module in blueprints:
        argv += ["--blueprint", module]
    if host != "devstack":
        argv += ["--host", host]
    if not auth:
        argv.append("--no-auth")
    if partner_auth != "key":
        argv += ["--partner-auth", partner_auth]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDENTITY_", "AZURE_"))}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.PIPE,  # the lifeline: never written, closed when this process ends
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    endpoints_file = state_dir / "endpoints.json"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while (endpoints := _own_endpoints(endpoints_file, process.pid)) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"devstack did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
    except BaseException:  # a start that failed, or an interrupt while waiting for it
        stop_process(process)
        raise
    return RunningStack(
        state_dir=state_dir, endpoints=endpoints, log_path=log_path, process=process
    )


def _own_endpoints(path: Path, pid: int) -> dict[str, Any] | None:
    """endpoints.json once *this* stack wrote it (not one left by a stack that was killed)."""
    try:
        endpoints: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return endpoints if endpoints.get("pid") == pid else None


@contextmanager
def running_stack(
    state_dir: Path,
    *,
    app_settings: dict[str, str] | None = None,
    memory: bool = True,
    audience: str = DEFAULT_APP_AUDIENCE,
    blueprints: tuple[str, ...] = (),
    host: str = "devstack",
    auth: bool = True,
    partner_auth: str = "key",
) -> Iterator[RunningStack]:
    """A stack for the length of a ``with`` block (a test session's or a benchmark's)."""
    running = start_stack(
        state_dir,
        app_settings=app_settings,
        memory=memory,
        audience=audience,
        blueprints=blueprints,
        host=host,
        auth=auth,
        partner_auth=partner_auth,
    )
    try:
        yield running
    finally:
        stop_process(running.process)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGINT (as Ctrl-C), then SIGKILL to its process group if it has not ended in time."""
    try:
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    finally:
        if process.stdin is not None:  # a stack's lifeline, no longer needed
            process.stdin.close()
