"""Fixtures for host-semantics tests: a second host running tests/hostapp on the same stack."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueServiceClient

from devstack.ports import free_port
from devstack.runner import ROOT, RunningStack
from tests.support.canary import leaks, outputs, partner_keys, settled_spans
from tests.support.processes import devstack_host
from tests.support.stacks import Stacks

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
    auth = [
        *("--auth-issuer", str(stack.endpoints["issuer"])),
        *("--auth-audience", str(stack.endpoints["audience"])),
        *("--auth-jwks-url", str(stack.endpoints["jwks"])),
        *("--auth-exclude", "/api/public/ping"),
    ]
    with devstack_host(
        HOSTAPP_DIR, port=port, work=work, env=env, extra_args=auth, what="the test host"
    ):
        yield HostApp(
            base=f"http://127.0.0.1:{port}",
            output_dir=output,
            log_path=work / "host.log",
            queues=queues,
        )


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
def rehearsal(stacks: Stacks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    """Started on first use; its teardown is its own leak canary (the partner key, in any
    encoding, in nothing the stack wrote or answered)."""
    with stacks.running(
        tmp_path_factory.mktemp("rehearsal"), app_settings=RESILIENCE_SETTINGS
    ) as stack:
        kept = Rehearsal(stack, [])
        yield kept
        assert stack.process.poll() is None, "the stack stopped during a rehearsal"
        settled_spans(stack)  # the last spans are searched too
        assert leaks(partner_keys(stack), outputs(stack, kept.responses)) == []
