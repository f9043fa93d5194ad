"""Fixtures for host-semantics tests: a second host running tests/hostapp on the same stack."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueServiceClient

from devstack.ports import free_port
from devstack.runner import ROOT, RunningStack, stop_process

HOSTAPP_DIR = ROOT / "tests" / "hostapp"
HOSTAPP_QUEUES = ("hostapp-ok", "hostapp-fail", "hostapp-slow")
HOSTAPP_LEASE_SECONDS = 10


@dataclass
class HostApp:
    base: str
    output_dir: Path
    log_path: Path
    queues: QueueServiceClient

    def records(self, kind: str) -> list[dict[str, object]]:
        import json

        path = self.output_dir / f"{kind}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def hostapp(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostApp]:
    work = tmp_path_factory.mktemp("hostapp")
    output = work / "out"
    output.mkdir()
    queues = stack.queue_service()
    for name in HOSTAPP_QUEUES:
        with contextlib.suppress(ResourceExistsError):
            queues.create_queue(name)
    port = free_port()
    env = dict(stack.app_env)
    env.update(
        {
            "HOSTAPP_OUTPUT_DIR": str(output),
            "HOSTAPP_TIMER_SCHEDULE": "*/2 * * * * *",
            "AzureWebJobs.switched_off.Disabled": "true",
            "DEVSTACK_QUEUE_LEASE_SECONDS": str(HOSTAPP_LEASE_SECONDS),
            "PYTHONPATH": str(ROOT),
        }
    )
    argv = [
        sys.executable,
        "-m",
        "devstack.host",
        "--app-dir",
        str(HOSTAPP_DIR),
        "--port",
        str(port),
        "--state-dir",
        str(work / "state"),
        "--auth-issuer",
        str(stack.endpoints["issuer"]),
        "--auth-audience",
        str(stack.endpoints["audience"]),
        "--auth-jwks-url",
        str(stack.endpoints["jwks"]),
        "--auth-exclude",
        "/api/public/ping",
    ]
    log_path = work / "host.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/admin/host/ping", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError("test host did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield HostApp(base=base, output_dir=output, log_path=log_path, queues=queues)
    finally:
        stop_process(process)


#: A stack for rehearsals that break it (tests/integration/test_vault_faults.py,
#: test_crash_recovery.py): a 5 s secret cache (so a stale-within-grace key is reachable in
#: seconds), an outbox that reconciles every 2 s and resends after 5 s, and a 10 s queue
#: lease (a message held by a killed host comes back in seconds, not the host's 10 min).
RESILIENCE_SETTINGS = {
    "SECRET_CACHE_TTL_SECONDS": "5",
    "OUTBOX_SCHEDULE": "*/2 * * * * *",
    "OUTBOX_RESEND_AFTER_SECONDS": "5",
    "DEVSTACK_QUEUE_LEASE_SECONDS": "10",
}


@dataclass
class Rehearsal:
    """The rehearsal stack and every response its tests received (the canary searches them)."""

    stack: RunningStack
    responses: list[str]


@pytest.fixture(scope="session")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    """Started on first use; its teardown is its own leak canary (the partner key, in any
    encoding, in nothing the stack wrote or answered)."""
    from devstack.runner import running_stack
    from tests.support.canary import leaks, outputs, partner_keys, settled_spans

    with running_stack(
        tmp_path_factory.mktemp("rehearsal"), app_settings=RESILIENCE_SETTINGS
    ) as stack:
        kept = Rehearsal(stack, [])
        yield kept
        assert stack.process.poll() is None, "the stack stopped during a rehearsal"
        settled_spans(stack)  # the last spans are searched too
        assert leaks(partner_keys(stack), outputs(stack, kept.responses)) == []
