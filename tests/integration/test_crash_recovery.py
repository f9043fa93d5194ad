"""An instance lost mid-work loses no accepted job.

``kill -9`` of the host (the control plane's ``host/kill``: ``SIGKILL`` to its process
group, no shutdown) during a burst of submissions, then a new host: every submission the
client repeats until it is accepted becomes exactly one job, and every job ends
``completed`` or ``failed``; none stays ``queued`` (sent = completed + failed). Then the
windows one at a time, left the way a crash leaves them: a new job enqueued but never
written (the worker writes it from its message), a job written but never enqueued (the
outbox's reconciler sends it: a retry's window), a job stuck in ``queued`` with no message
and no marker (a replay of its Idempotency-Key sends it again; so does an admin retry).

On the rehearsal stack: the outbox reconciles every 2 s and resends after 5 s, and a
message held by the killed host comes back after a 10 s lease.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from azure.storage.queue import TextBase64EncodePolicy

from devstack.runner import RunningStack
from devstack.tokens import DEV_CALLER_OBJECT_ID
from shared.jobs import (
    IdempotencyRecord,
    JobMessage,
    JobRecord,
    Outbox,
    now,
)
from tests.integration.conftest import Rehearsal
from tests.support.job_records import NEUTRAL, job_record, job_store
from tests.support.jobclient import JobClient
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

BURST = 100
KILL_AFTER = 25  # accepted submissions before the host is killed
SETTLED = ("completed", "failed")


@pytest.fixture
def client(rehearsal: Rehearsal) -> Iterator[JobClient]:
    """One client per test: what a test counts as accepted is only what it submitted."""
    jobs = JobClient(rehearsal.stack)
    yield jobs
    rehearsal.responses.extend(jobs.responses)


def control(stack: RunningStack, path: str) -> Any:
    response = requests.post(stack.control(path), timeout=180)
    assert response.ok, response.text
    return response.json()


def records(stack: RunningStack, ids: set[str]) -> dict[str, dict[str, Any]]:
    jobs = stack.blob_service().get_container_client("jobs")
    found = {}
    for job_id in ids:
        found[job_id] = json.loads(jobs.download_blob(f"{job_id}.json").readall())
    return found


def jobs_by_text(stack: RunningStack, marker: str) -> set[str]:
    """Every job whose input carries ``marker``: the ones this test's submissions wrote."""
    jobs = stack.blob_service().get_container_client("jobs")
    found = set()
    for blob in jobs.list_blobs():
        if "/" in blob.name:
            continue
        record = json.loads(jobs.download_blob(blob.name).readall())
        if marker in record["input"].get("text", ""):
            found.add(record["id"])
    return found


def test_a_host_killed_during_a_burst_loses_no_accepted_job(client: JobClient) -> None:
    stack = client.stack
    marker = f"crash-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(16) as pool:
        submissions = [
            pool.submit(client.submit, f"{marker}-{i}", f"{marker}: job {i} survives a crash")
            for i in range(BURST)
        ]
        eventually(lambda: len(client.accepted) >= KILL_AFTER, timeout=180, interval=0.05)
        assert control(stack, "host/kill") == {"running": False}
        killed_at = len(client.accepted)
        assert control(stack, "host/start") == {"running": True}
        for submission in submissions:
            submission.result()
    assert killed_at < BURST, "the host died during the burst, not after it"
    sent = set(client.accepted.values())
    assert len(client.accepted) == BURST
    assert len(sent) == BURST, "each submission became one job"

    def settled() -> dict[str, dict[str, Any]] | None:
        found = records(stack, sent)
        return found if all(r["status"] in SETTLED for r in found.values()) else None

    outcome = eventually(settled, timeout=180, interval=1.0)
    statuses = Counter(record["status"] for record in outcome.values())
    assert statuses["completed"] + statuses["failed"] == BURST, statuses
    assert jobs_by_text(stack, marker) == sent, "no job was written but never accepted"
    assert stack.stats("partner")["by_idempotency_key"].keys() >= sent


def cut_off_job(stack: RunningStack, *, updated: str | None = None) -> JobRecord:
    """A queued job as a crash between its state write and its message leaves it."""
    record = job_record("cut off", analysis=NEUTRAL, at=updated)
    job_store(stack).create(record)
    return record


def status_of(client: JobClient, job_id: str) -> str:
    return str(client.get(f"jobs/{job_id}").json()["status"])


def test_a_job_written_but_never_enqueued_is_sent_by_the_outbox(client: JobClient) -> None:
    stack = client.stack
    record = cut_off_job(stack)
    outbox = Outbox(
        jobs=stack.blob_service().get_container_client("jobs"),
        queue=stack.queue_service().get_queue_client("jobs"),
    )
    outbox.hold(record.id)  # what the request wrote before it died
    assert eventually(lambda: status_of(client, record.id) == "completed", timeout=90)
    assert eventually(lambda: record.id not in {p.job_id for p in outbox.pending()}, timeout=30)


def test_a_job_enqueued_but_never_written_is_written_by_the_worker(client: JobClient) -> None:
    """A new job's message is sent before its state, and carries the job: a request cut off
    between the two leaves its claim and its message. The worker writes the state from the
    message and completes the job once; a repeat of the request gets that very job."""
    stack = client.stack
    record = job_record(
        "enqueued, never written", analysis={"analysis_id": str(uuid.uuid4()), "language": "en"}
    )
    body = record.input
    key = f"cut-{uuid.uuid4()}"
    claim = IdempotencyRecord(record.id, record.request_hash, now())
    assert job_store(stack).claim_idempotency(DEV_CALLER_OBJECT_ID, key, claim) is None
    queue = stack.queue_service().get_queue_client(
        "jobs", message_encode_policy=TextBase64EncodePolicy()
    )
    Outbox(jobs=stack.blob_service().get_container_client("jobs"), queue=queue).send(
        record.id, job=record
    )  # what the request did before it died
    assert client.submit(key, body["text"]) == record.id
    assert eventually(lambda: status_of(client, record.id) == "completed", timeout=90)
    written = records(stack, {record.id})[record.id]
    assert (written["owner"], written["input"]) == (record.owner, body)
    results = stack.blob_service().get_container_client("results")
    assert [b.name for b in results.list_blobs(name_starts_with=record.id)] == [f"{record.id}.json"]


OLD = "2026-01-01T00:00:00.000+00:00"


def test_a_taken_over_claim_survives_a_partner_failure_and_its_job_is_the_one_kept(
    client: JobClient,
) -> None:
    """The request that died had sent the job's message (not yet delivered) and left its
    claim; its repeat takes the claim over, and the partner fails that repeat. The claim
    must stay: the message will write the job, and the next repeat must get that job, not
    start a second one."""
    stack = client.stack
    record = job_record(
        "taken over, then the partner failed",
        analysis={"analysis_id": str(uuid.uuid4()), "language": "en"},
    )
    marker = record.input["text"]  # unique to this test's job
    key = f"taken-{uuid.uuid4()}"
    store = job_store(stack)
    claim = IdempotencyRecord(record.id, record.request_hash, OLD)  # old: taken over at once
    assert store.claim_idempotency(DEV_CALLER_OBJECT_ID, key, claim) is None
    queue = stack.queue_service().get_queue_client(
        "jobs", message_encode_policy=TextBase64EncodePolicy()
    )
    # The message the dead request sent, out of the worker's sight until the repeat is done.
    queue.send_message(JobMessage(record.id, job=record).encode(), visibility_timeout=20)
    faults = stack.control("faults/partner")
    requests.put(faults, json={"mode": "status", "status": 503}, timeout=10).raise_for_status()
    try:
        failed = client.post(key, marker)
    finally:
        requests.delete(faults, timeout=10).raise_for_status()
    assert failed.status_code in (502, 503), failed.text
    kept = store.get_idempotency(DEV_CALLER_OBJECT_ID, key)
    assert kept is not None
    assert kept.job_id == record.id

    def completed() -> bool:  # 404 until the message, once visible, writes the job
        return bool(client.get(f"jobs/{record.id}").json().get("status") == "completed")

    assert eventually(completed, timeout=90)
    assert client.submit(key, marker) == record.id
    assert jobs_by_text(stack, marker) == {record.id}


def test_a_replay_of_a_job_stuck_in_queued_sends_it_again(client: JobClient) -> None:
    stack = client.stack
    record = cut_off_job(stack, updated=OLD)  # no marker: nothing else will ever send it
    key = f"stuck-{uuid.uuid4()}"
    claim = IdempotencyRecord(record.id, record.request_hash, OLD)
    assert job_store(stack).claim_idempotency(DEV_CALLER_OBJECT_ID, key, claim) is None
    replayed = client.post(key, record.input["text"])
    assert replayed.status_code == 202
    assert replayed.json()["id"] == record.id
    assert eventually(lambda: status_of(client, record.id) == "completed", timeout=90)


def test_an_admin_may_retry_a_job_stuck_in_queued(client: JobClient) -> None:
    stack = client.stack
    record = cut_off_job(stack, updated=OLD)
    admin = JobClient(stack, roles=("Jobs.Admin",))
    retried = admin.session.post(
        f"{stack.api}/jobs/{record.id}/retry", headers=admin.headers(), timeout=60
    )
    admin.keep(retried)
    client.responses.extend(admin.responses)
    assert retried.status_code == 202, retried.text
    assert eventually(lambda: status_of(client, record.id) == "completed", timeout=90)
    fresh = cut_off_job(stack)  # queued a moment ago: its message may well be on its way
    refused = admin.session.post(
        f"{stack.api}/jobs/{fresh.id}/retry", headers=admin.headers(), timeout=60
    )
    assert refused.status_code == 409
