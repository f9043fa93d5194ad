"""The long fault run: jobs keep flowing through partner failures, a vault outage and a
storage restart, and none is lost or done twice.

The run has a stack of its own (Azurite on disk, so a restart keeps its data), a short
secret cache (so the vault outage hits a refresh), a short partner read timeout (so
``slow`` partner answers become client timeouts) and a short queue lease (see
``APP_SETTINGS``); the empty-cache test has another, so the two share nothing. A client
submits ``FAULT_RUN_JOBS`` jobs (default 1,000), each with its own ``Idempotency-Key``, and
resubmits after a 502/503 as a well-behaved client would, honouring ``Retry-After`` (capped
at 2 s to keep the run short). Meanwhile:

* the partner fails 30% of calls, half with 503 and half by answering too late;
* at a quarter of the run the vault answers 503 for a few seconds;
* at half of the run Azurite is stopped and, a few seconds later, started again;
* at two thirds the partner turns hostile for a few seconds: 30% of its answers echo the
  key (in fields, nested, in a header, in a cookie), set a cookie, trickle past the deadline,
  flood, redirect or are not JSON (:mod:`devstack.partner.hostile`); each is refused, the
  client resubmits, and no cookie is ever sent back nor a redirect followed;
* at 85% of the run the host is killed (``SIGKILL``: an instance lost mid-work) and a new
  one started; requests it held are cut off, and their clients repeat them.

At the end every job is ``completed`` or ``failed`` with a reason, the queues are empty
(sent = completed + failed), each job called the partner no more often than the outbound
retry policy allows, each completed job has exactly one result blob, the stack never
restarted, and the partner key is in no output.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.faults import HOSTILE_MODES
from devstack.runner import RunningStack
from shared.outbound import OutboundClient
from tests.support.canary import leaks, outputs, partner_keys
from tests.support.footprint import Footprint
from tests.support.stacks import Stacks
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.integration]

JOBS = int(os.environ.get("FAULT_RUN_JOBS", "1000"))
CONCURRENCY = 16
MAX_SUBMISSIONS = 40  # per job: far more than the faults need, so a stuck job shows as one
RETRY_AFTER_CAP = 2.0
READ_TIMEOUT = 1.0
PARTNER_FAULTS: dict[str, Any] = {
    "mode": ["status", "slow"],
    "status": 503,
    "rate": 0.3,
    "latency_ms": int(READ_TIMEOUT * 1000) + 300,
    "seed": 20261121,
}
VAULT_OUTAGE_SECONDS = 4
STORAGE_OUTAGE_SECONDS = 5
SETTLE_TIMEOUT = 240.0
LEASE_SECONDS = 20
APP_SETTINGS = {
    "SECRET_CACHE_TTL_SECONDS": "3",
    "PARTNER_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
    # A receive whose answer is lost when Azurite stops hides its message for the lease;
    # the host's is 10 minutes, shortened here so the run shows the message coming back.
    "DEVSTACK_QUEUE_LEASE_SECONDS": str(LEASE_SECONDS),
    "PARTNER_DEADLINE_SECONDS": "6",  # a trickled answer holds a submit this long at most
    # The outbox finishes what the killed host cut off, within seconds rather than a minute.
    "OUTBOX_SCHEDULE": "*/2 * * * * *",
    "OUTBOX_RESEND_AFTER_SECONDS": "5",
}
HOSTILE_SECONDS = 5
HOSTILE_FAULTS: dict[str, Any] = {
    "mode": list(HOSTILE_MODES),
    "rate": 0.3,
    "seconds": HOSTILE_SECONDS,
    "seed": 20261122,
}
#: What a resubmitting client is told: outages, and a hostile partner's refused answers.
REFUSAL_CODES = (
    "dependency_unavailable",
    "partner_error",
    "partner_answer_invalid",
    "partner_refused",
)
HOST_DOWN_SECONDS = 2
# Besides 502/503: the host was killed under the request, or the request repeats one the
# killed host was handling (409 in progress, until its Idempotency-Key is taken over).
REPEATED = {(409, "idempotency_in_progress")}


def progress(message: str) -> None:
    print(f"[fault run] {message}", flush=True)


@pytest.fixture(scope="module")
def fault_stack(stacks: Stacks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with stacks.running(
        tmp_path_factory.mktemp("fault-run"), app_settings=APP_SETTINGS, memory=False
    ) as stack:
        yield stack


@pytest.fixture
def cold_stack(stacks: Stacks, tmp_path: Path) -> Iterator[RunningStack]:
    """The empty-cache test's own stack: the long run's state never reaches it, so the
    module's two tests share nothing and neither order can matter."""
    with stacks.running(tmp_path / "state", app_settings=APP_SETTINGS) as stack:
        yield stack


@dataclass
class Run:
    """What the client saw: one accepted job per submission key, every response kept."""

    stack: RunningStack
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> job id
    refusals: Counter[int] = field(default_factory=Counter)
    responses: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=CONCURRENCY)
        self.session.mount("http://", adapter)
        self.token = self.stack.caller_token("Jobs.Submit", lifetime=3600)

    def post(self, key: str | None, text: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        response = self.session.post(
            f"{self.stack.api}/jobs", data=json.dumps({"text": text}), headers=headers, timeout=120
        )
        with self.lock:
            self.responses.append(
                f"{response.status_code} {dict(response.headers)} {response.text}"
            )
        return response

    def submit(self, index: int) -> None:
        key = f"fault-run-{index}"
        text = f"job {index}: a good day with a slow but reliable partner, number {index}"
        for _ in range(MAX_SUBMISSIONS):
            try:
                response = self.post(key, text)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                # No whole answer: the host was killed under the request, before its answer
                # or halfway through it. The same key is sent again.
                with self.lock:
                    self.refusals[0] += 1
                time.sleep(0.5)
                continue
            if response.status_code == 202:
                with self.lock:
                    self.accepted[key] = response.json()["id"]
                return
            code = response.json()["error"]["code"]
            if (response.status_code, code) not in REPEATED:
                assert response.status_code in (502, 503), response.text
                assert code in REFUSAL_CODES, response.text
            with self.lock:
                self.refusals[response.status_code] += 1
            wait = float(response.headers.get("Retry-After", "1"))
            time.sleep(min(wait, RETRY_AFTER_CAP))
        raise AssertionError(f"job {index} was never accepted")


def control(stack: RunningStack, method: str, path: str, **body: Any) -> Any:
    response = requests.request(method, stack.control(path), json=body or None, timeout=120)
    assert response.ok, response.text
    return response.json() if response.content else None


def test_a_vault_outage_with_an_empty_cache_is_a_503_with_retry_after(
    cold_stack: RunningStack,
) -> None:
    """A host that has read no key yet (its cache is empty, as on a cold start) meets a
    vault outage: 503 with ``Retry-After``, no partner call, nothing stored or queued."""
    stack = cold_stack
    before = Footprint.of(stack)
    vault_faults = stack.stats("vault")["faults"]
    control(stack, "PUT", "faults/vault", mode="status", retry_after=3, seconds=60)
    try:
        response = Run(stack).post(None, "nothing to see")
    finally:
        control(stack, "DELETE", "faults/vault")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert stack.stats("vault")["faults"] > vault_faults
    assert Footprint.of(stack) == before


def _faults_on_cue(run: Run, stop: threading.Event) -> list[str]:
    """Drive the outages as the run passes each mark: vault, storage, a hostile partner, a
    killed host."""
    stack, done = run.stack, []

    def reached(fraction: float) -> bool:
        while not stop.is_set():
            if len(run.accepted) >= JOBS * fraction:
                return True
            stop.wait(0.1)
        return False

    if reached(0.25):
        progress(f"vault outage for {VAULT_OUTAGE_SECONDS}s at {len(run.accepted)} jobs")
        control(
            stack, "PUT", "faults/vault", mode="status", retry_after=1, seconds=VAULT_OUTAGE_SECONDS
        )
        done.append("vault")
    if reached(0.5):
        progress(f"Azurite stopped at {len(run.accepted)} jobs")
        assert control(stack, "POST", "azurite/stop") == {"running": False}
        stop.wait(STORAGE_OUTAGE_SECONDS)
        assert control(stack, "POST", "azurite/start") == {"running": True}
        progress(f"Azurite started again at {len(run.accepted)} jobs")
        done.append("storage")
    if reached(2 / 3):
        progress(f"the partner turns hostile for {HOSTILE_SECONDS}s at {len(run.accepted)} jobs")
        control(stack, "PUT", "faults/partner", **HOSTILE_FAULTS)
        stop.wait(HOSTILE_SECONDS)
        control(stack, "PUT", "faults/partner", **PARTNER_FAULTS)
        done.append("hostile")
    if reached(0.85):
        progress(f"host killed at {len(run.accepted)} jobs")
        assert control(stack, "POST", "host/kill") == {"running": False}
        stop.wait(HOST_DOWN_SECONDS)
        assert control(stack, "POST", "host/start") == {"running": True}
        progress(f"a new host started at {len(run.accepted)} jobs")
        done.append("host")
    return done


def _job_records(stack: RunningStack) -> dict[str, dict[str, Any]]:
    jobs = stack.blob_service().get_container_client("jobs")
    records = {}
    for blob in jobs.list_blobs():
        if "/" in blob.name:  # idempotency claims and kept poison messages
            continue
        records[blob.name.removesuffix(".json")] = json.loads(
            jobs.download_blob(blob.name).readall()
        )
    return records


def _queues_drained(stack: RunningStack) -> bool:
    queues = stack.queue_service()
    return all(
        queues.get_queue_client(name).get_queue_properties().approximate_message_count == 0
        for name in ("jobs", "jobs-poison")
    )


@pytest.mark.timeout(900)
def test_jobs_survive_partner_failures_a_vault_outage_and_a_storage_restart(
    fault_stack: RunningStack,
) -> None:
    stack = fault_stack
    for piece in ("partner", "vault"):  # the counts below are this run's alone
        control(stack, "DELETE", f"stats/{piece}")
    control(stack, "PUT", "faults/partner", **PARTNER_FAULTS)
    run = Run(stack)
    stop = threading.Event()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as cue:
        outages = cue.submit(_faults_on_cue, run, stop)
        try:
            with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
                for index, _ in enumerate(pool.map(run.submit, range(JOBS)), start=1):
                    if index % 200 == 0:
                        progress(f"{index}/{JOBS} submitted ({time.monotonic() - started:.0f}s)")
        finally:
            stop.set()
        assert outages.result() == ["vault", "storage", "hostile", "host"]
    control(stack, "DELETE", "faults/partner")
    progress(f"all {JOBS} accepted in {time.monotonic() - started:.0f}s; refusals {run.refusals}")

    eventually(lambda: _queues_drained(stack), timeout=SETTLE_TIMEOUT, interval=1.0)
    records = eventually(
        lambda: (
            (r := _job_records(stack))
            and all(x["status"] in ("completed", "failed") for x in r.values())
            and r
        ),
        timeout=60,
        interval=1.0,
    )
    progress(f"settled in {time.monotonic() - started:.0f}s")

    # Every submission became exactly one job, and every job is settled.
    sent = set(run.accepted.values())
    assert len(run.accepted) == JOBS
    assert len(sent) == JOBS
    assert set(records) == sent, "a job state without an accepted submission, or one missing"
    statuses = Counter(record["status"] for record in records.values())
    assert statuses["completed"] + statuses["failed"] == JOBS, statuses
    failed = [r for r in records.values() if r["status"] == "failed"]
    assert all(r.get("reason") for r in failed), failed[:3]
    progress(f"outcome {dict(statuses)}")

    # One result blob per completed job, none for any other.
    results = {
        blob.name.removesuffix(".json")
        for blob in stack.blob_service().get_container_client("results").list_blobs()
    }
    completed = {job for job, r in records.items() if r["status"] == "completed"}
    assert results == completed

    # The faults really happened, and no job called the partner more than its retries allow.
    partner = stack.stats("partner")
    assert partner["faults"] > JOBS * 0.15, partner["faults"]
    assert stack.stats("vault")["faults"] >= 1, "no read met the vault outage: run more jobs"
    attempts = 1 + inspect.signature(OutboundClient).parameters["total_retries"].default
    per_job = {job: partner["by_idempotency_key"].get(job, 0) for job in sent}
    assert min(per_job.values()) >= 1
    # A request the killed host was in the middle of is repeated once by the request that
    # takes its Idempotency-Key over, with the same partner idempotency key (the job id).
    repeated = [job for job, calls in per_job.items() if calls > attempts]
    assert max(per_job.values()) <= 2 * attempts, max(per_job.values())
    assert len(repeated) <= run.refusals[0], (len(repeated), run.refusals[0])

    # The hostile partner struck, and the app neither sent a cookie back nor followed.
    assert partner["hostile"] >= 1, partner
    assert partner["cookies"] == 0
    assert partner["landed"] == 0

    # The stack never stopped (a dead piece stops it all), and nothing leaked.
    assert stack.process.poll() is None
    assert requests.get(f"{stack.api}/health", timeout=10).status_code == 200
    assert leaks(partner_keys(stack), outputs(stack, run.responses)) == []
