"""A throttling, a black-holed and a 15-second vault never wedge the app.

On the rehearsal stack (a 5 s secret cache, so its grace ends 10 s after a fetch), with the
local vault's fault gate: health and reads keep answering while the vault misbehaves;
submissions either get 503 with ``Retry-After`` while the fault still stands (the plan is
read back from the control plane after every answer: "before the vault answered", with no
clock in the test), or succeed from a cached key within the grace while a refresh is in
flight; and once the vault is back, the next submission succeeds.

Nothing waits on a clock. A host with nothing cached is a host started again (the control
plane's ``host/kill`` and ``host/start``: an instance that starts while the vault is down).
The cached key going stale is seen on the vault's counters (the refresh it starts arrives
there), and its grace ending is the first submission refused.

What was broken (a 429 with ``Retry-After: 99999`` slept on inside the request by
azure-core's RetryPolicy; callers joining a stuck fetch with no deadline; a slow refresh
holding requests although a cached key within the grace existed) is bounded in
shared/vault/ (_client.py, _provider.py); their unit tests hold each bound.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devstack.runner import RunningStack
from shared.vault import MAX_RETRY_AFTER
from tests.integration.conftest import Rehearsal
from tests.support.jobclient import JobClient
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

BURST = 40  # more submissions than the host has worker threads (32)


@pytest.fixture(scope="module")
def client(rehearsal: Rehearsal) -> Iterator[JobClient]:
    jobs = JobClient(rehearsal.stack, pool=BURST + 4)
    yield jobs
    rehearsal.responses.extend(jobs.responses)


def vault_fault(stack: RunningStack, **plan: Any) -> None:
    requests.put(stack.control("faults/vault"), json=plan, timeout=10).raise_for_status()


def vault_fault_stands(stack: RunningStack) -> bool:
    return requests.get(stack.control("faults/vault"), timeout=10).json()["fault"] is not None


def clear_vault(stack: RunningStack) -> None:
    requests.delete(stack.control("faults/vault"), timeout=10).raise_for_status()


def nothing_cached(stack: RunningStack) -> None:
    """Start the host again: the new one has read no key yet."""
    for step, running in (("host/kill", False), ("host/start", True)):
        response = requests.post(stack.control(step), timeout=180)
        assert response.ok, response.text
        assert response.json() == {"running": running}


def one_at_a_time(client: JobClient, label: str, done: Any) -> list[requests.Response]:
    """Submit one job after another until ``done(answers)``; every answer, in order."""
    answers: list[requests.Response] = []

    def submitted() -> bool:
        answers.append(client.post(f"{label}-{uuid.uuid4()}", label))
        return bool(done(answers))

    eventually(submitted, timeout=60, interval=0.2)
    return answers


def burst(client: JobClient, job: str) -> tuple[list[requests.Response], list[int], list[int]]:
    """BURST submissions at once and, while they are in flight, health and a read of ``job``."""
    with ThreadPoolExecutor(BURST + 2) as pool:
        submissions = [
            pool.submit(client.post, f"burst-{uuid.uuid4()}", "during the outage")
            for _ in range(BURST)
        ]
        health = [requests.get(f"{client.stack.api}/health", timeout=60).status_code]
        reads = [client.get(f"jobs/{job}").status_code]
        answers = [future.result() for future in submissions]
    return answers, health, reads


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert 1 <= int(response.headers["Retry-After"]) <= MAX_RETRY_AFTER


def test_a_throttled_vault_asking_for_a_day_answers_503_at_once_and_nothing_wedges(
    client: JobClient,
) -> None:
    stack = client.stack
    known = client.submit(f"warm-{uuid.uuid4()}", "before the throttling")
    nothing_cached(stack)
    vault_fault(stack, mode="status", status=429, retry_after=99999, seconds=300)
    try:
        answers = [client.post(f"throttled-{uuid.uuid4()}", "throttled") for _ in range(3)]
        with ThreadPoolExecutor(BURST) as pool:
            answers += list(
                pool.map(lambda _: client.post(f"t-{uuid.uuid4()}", "throttled"), range(BURST))
            )
        health = requests.get(f"{stack.api}/health", timeout=60).status_code
        read = client.get(f"jobs/{known}").status_code
        assert vault_fault_stands(stack), "every answer came while the vault still throttled"
    finally:
        clear_vault(stack)
    for answer in answers:
        assert_unavailable(answer)
    assert (health, read) == (200, 200)
    assert stack.stats("vault")["faults"] <= len(answers), "no retry storm on the vault"
    assert client.submit(f"after-{uuid.uuid4()}", "the vault is back")


def test_a_black_holed_vault_costs_a_request_its_deadline_not_the_host(
    client: JobClient,
) -> None:
    stack = client.stack
    known = client.submit(f"known-{uuid.uuid4()}", "a job to read during the outage")
    nothing_cached(stack)
    vault_fault(stack, mode="hang", seconds=300)
    try:
        answers, health, reads = burst(client, known)
        assert vault_fault_stands(stack), "every answer came while the vault still hung"
    finally:
        clear_vault(stack)
    for answer in answers:
        assert_unavailable(answer)
    assert health == [200]
    assert reads == [200]
    assert eventually(lambda: client.post(f"back-{uuid.uuid4()}", "back").status_code == 202)


def test_a_15_second_vault_serves_the_cached_key_within_its_grace_and_503_past_it(
    client: JobClient,
) -> None:
    stack = client.stack
    nothing_cached(stack)
    client.submit(f"warm-{uuid.uuid4()}", "fetches the key")  # the vault answers now
    before = stack.stats("vault")["faults"]
    vault_fault(stack, mode="slow", latency_ms=15_000, seconds=120)
    try:
        # Fresh, then stale: the first refresh reaches the slow vault and stays there.
        fresh = one_at_a_time(client, "fresh", lambda _: stack.stats("vault")["faults"] > before)
        stale = one_at_a_time(client, "stale", lambda answers: answers[-1].status_code != 202)
        assert vault_fault_stands(stack), "the 503 came before the slow vault answered"
    finally:
        clear_vault(stack)
    assert [a.status_code for a in fresh] == [202] * len(fresh), fresh[-1].text
    served, cold = stale[:-1], stale[-1]
    assert served, "no submission was served from the cached key while it refreshed"
    assert [a.status_code for a in served] == [202] * len(served)
    assert_unavailable(cold)
