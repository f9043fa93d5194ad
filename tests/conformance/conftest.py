"""Conformance: small apps under ``apps/`` run on the devstack host, on the session's stack.

Each app gets its own host process (with the stack's app environment, so its
``AzureWebJobsStorage`` is Azurite, identity-based) and writes what it saw to a
directory the tests read. Authentication is off unless a fixture says otherwise.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableServiceClient

from devstack.ports import free_port
from devstack.runner import ROOT, RunningStack
from devstack.tokens import IssuerCredential
from tests.support.processes import devstack_host

APPS = Path(__file__).resolve().parent / "apps"
START_TIMEOUT = 60.0


@dataclass
class AppHost:
    base: str
    output_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def records(self, kind: str) -> list[dict[str, Any]]:
        path = self.output_dir / f"{kind}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def host_argv(app: str, port: int, state: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "devstack.host",
        "--app-dir",
        str(APPS / app),
        "--port",
        str(port),
        "--state-dir",
        str(state),
        *extra,
    ]


def host_env(
    stack: RunningStack, output: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(stack.app_env)
    env.update(
        {
            "CONFORMANCE_OUTPUT_DIR": str(output),
            "PYTHONPATH": str(ROOT),
            "DEVSTACK_BLOB_SCAN_SECONDS": "1",
        }
    )
    env.update(extra or {})
    return env


def auth_args(stack: RunningStack) -> list[str]:
    return [
        "--auth-issuer",
        str(stack.endpoints["issuer"]),
        "--auth-audience",
        str(stack.endpoints["audience"]),
        "--auth-jwks-url",
        str(stack.endpoints["jwks"]),
    ]


@contextlib.contextmanager
def app_host(
    stack: RunningStack,
    work: Path,
    app: str,
    *,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> Iterator[AppHost]:
    output = work / "out"
    output.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with devstack_host(
        APPS / app,
        port=port,
        work=work,
        env=host_env(stack, output, extra_env),
        extra_args=extra_args,
        timeout=START_TIMEOUT,
        what=f"the {app} host",
    ) as process:
        yield AppHost(
            base=f"http://127.0.0.1:{port}",
            output_dir=output,
            log_path=work / "host.log",
            process=process,
        )


def run_host_once(stack: RunningStack, work: Path, app: str) -> subprocess.CompletedProcess[str]:
    """Start a host that is expected to stop at once (an app the host cannot start)."""
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        host_argv(app, free_port(), work / "state"),
        cwd=ROOT,
        env=host_env(stack, work),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="session")
def bindings_app(
    stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppHost]:
    for name in ("conf-to-blob", "conf-str-param", "conf-none-return", "conf-manual"):
        with contextlib.suppress(ResourceExistsError):
            stack.queue_service().create_queue(name)
    with contextlib.suppress(ResourceExistsError):
        stack.queue_service().create_queue("conf-queue-retry")
    for container in ("conf-trigger", "conf-poison"):
        with contextlib.suppress(ResourceExistsError):
            stack.blob_service().create_container(container)
    with app_host(stack, tmp_path_factory.mktemp("bindings"), "bindings") as host:
        yield host


@pytest.fixture(scope="session")
def tables(stack: RunningStack) -> TableServiceClient:
    return TableServiceClient(
        str(stack.endpoints["table"]),
        credential=IssuerCredential(stack.issuer()),
        connection_verify=stack.ca_bundle,
    )


def peek(stack: RunningStack, queue: str) -> list[str]:
    """The raw contents of up to 32 messages; none while the queue does not exist."""
    client = stack.queue_service().get_queue_client(queue)
    try:
        return [str(m.content) for m in client.peek_messages(max_messages=32)]
    except ResourceNotFoundError:
        return []
