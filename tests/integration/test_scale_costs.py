"""What a job and a posture run cost their services, counted on the stack (the scale model).

docs/scale.md multiplies the storage transactions of one job by the job rate to find where
a storage account or a queue reaches its published targets. Those per-job numbers live in
``bench/scale/costs.py``; this test counts, with the control plane's ``storage`` counters
(Azurite's own access log, so SDK retries would show), what jobs really cost through the
host, and holds the model to it. Get Messages is counted apart: the host batches it
(``batchSize``), so its share per job depends on how full the queue is.

The counts are exact, so they run on a stack of their own whose outbox reconciler does not
run in the meantime (it lists the jobs container on its schedule): on the session's stack,
other tests' jobs and timers would land in the count.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import requests

from bench.scale.costs import (
    POSTURE_STORAGE_PER_RUN,
    SUBMIT_PER_JOB,
    WORKER_PER_JOB,
    posture_vault_calls,
)
from devstack.runner import RunningStack
from tests.support import canary
from tests.support.stacks import Stacks
from tests.support.waiting import eventually

JOBS = 6
#: The containers and queue a job touches; the posture timer and other apps on the stack
#: write elsewhere, so counting these alone keeps the count to the jobs of this test.
COUNTED = ("blob:jobs:", "blob:results:", "queue:jobs:")
RECEIVE = "queue:jobs:message.receive"
#: Timers that would write in the middle of a count: once a year (1 January, midnight).
RARELY = "0 0 0 1 1 *"
QUIET_SETTINGS = {"OUTBOX_SCHEDULE": RARELY, "POSTURE_SCHEDULE": RARELY}


@pytest.fixture(scope="module")
def stack(stacks: Stacks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own; its teardown is its own leak canary."""
    with stacks.running(
        Path(tmp_path_factory.mktemp("scale-costs")), app_settings=QUIET_SETTINGS
    ) as running:
        yield running
        searched = canary.outputs(running, canary.RESPONSES)
        assert canary.leaks(canary.partner_keys(running), searched) == []


def counted(stack: RunningStack) -> Counter[str]:
    targets: Mapping[str, int] = stack.stats("storage")["by_target"]
    return Counter({k: v for k, v in targets.items() if k.startswith(COUNTED) and k != RECEIVE})


def quiet(stack: RunningStack) -> Counter[str]:
    """The counts once nothing else is moving the jobs' containers and queue (an earlier
    test's job still in flight would otherwise land in this test's count)."""

    def settled() -> Counter[str] | None:
        first = counted(stack)
        time.sleep(1.0)
        second = counted(stack)
        return second if first == second else None

    found: Counter[str] = eventually(settled, timeout=60, interval=0)
    return found


def test_a_job_costs_what_the_scale_model_counts(stack: RunningStack) -> None:
    before = quiet(stack)
    receives_before = stack.stats("storage")["by_target"].get(RECEIVE, 0)
    token = stack.caller_token("Jobs.Submit")
    with requests.Session() as session:
        for _ in range(JOBS):
            response = session.post(
                f"{stack.api}/jobs",
                json={"text": "one job, counted transaction by transaction"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            canary.record(response.status_code, response.headers.items(), response.text)
            assert response.status_code == 202

    def all_done() -> Counter[str] | None:
        delta = counted(stack) - before
        return delta if delta["queue:jobs:message.delete"] >= JOBS else None

    eventually(all_done, timeout=120)
    delta = quiet(stack) - before
    expected = Counter({k: v * JOBS for k, v in {**SUBMIT_PER_JOB}.items()})
    expected.update({k: v * JOBS for k, v in WORKER_PER_JOB.items()})
    # The one race that costs more (blueprints/worker.py): the message is sent before the
    # state, so the worker can look for the state just before the request writes it, find
    # none, find it there when it writes it from the message, and start the job again (one
    # more read and one more write). On a busy machine any job can meet it; the rest is exact.
    raced = delta["blob:jobs:blob.write"] - expected["blob:jobs:blob.write"]
    assert 0 <= raced <= JOBS, (dict(delta), dict(expected))
    expected.update({"blob:jobs:blob.write": raced, "blob:jobs:blob.read": raced})
    assert dict(delta) == dict(expected)
    receives = stack.stats("storage")["by_target"].get(RECEIVE, 0) - receives_before
    assert receives >= 1, "the worker received its messages"


def test_a_posture_run_costs_what_the_scale_model_counts(stack: RunningStack) -> None:
    """One run reads the vault's secret list (a probe, then its pages) and writes its report;
    the timer that could fire in the same seconds (every 6 h) would show as a second report,
    and the run is counted again."""
    from azure.keyvault.secrets import SecretClient

    from devstack.tokens import IssuerCredential

    with stack.as_app():
        vault = SecretClient(stack.endpoints["vault"], IssuerCredential(stack.issuer()))
        secrets_in_vault = sum(1 for _ in vault.list_properties_of_secrets())
    token = stack.caller_token("Posture.Admin")
    for _ in range(3):
        vault_before, storage_before = stack.stats("vault"), quiet_storage(stack)
        response = requests.post(
            f"{stack.api}/posture/run", headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        canary.record(response.status_code, response.headers.items(), response.text)
        assert response.status_code == 200
        storage = quiet_storage(stack) - storage_before
        vault_calls = stack.stats("vault")["total"] - vault_before["total"]
        if storage["blob:posture:blob.write"] == 2:  # no timer run in between
            break
    assert vault_calls == posture_vault_calls(secrets_in_vault)
    assert sum(storage.values()) == POSTURE_STORAGE_PER_RUN


def quiet_storage(stack: RunningStack) -> Counter[str]:
    """Every storage transaction but the listeners' polling, once nothing else moves."""

    def everything() -> Counter[str]:
        targets: Mapping[str, int] = stack.stats("storage")["by_target"]
        return Counter({k: v for k, v in targets.items() if not k.endswith("message.receive")})

    def settled() -> Counter[str] | None:
        first = everything()
        time.sleep(1.0)
        second = everything()
        return second if first == second else None

    found: Counter[str] = eventually(settled, timeout=60, interval=0)
    return found
