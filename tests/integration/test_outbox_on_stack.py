"""The outbox and the Idempotency-Key claims against real Blob and Queue Storage (Azurite).

The reconciler's every branch, with markers and jobs written the way a request cut off at
each step would leave them, and the marker ages moved by reading the outbox "later"
(``at=``) rather than by waiting. The messages it sends are peeked on the stack's real
jobs queue, under a queue of this test's own so the session's worker does not take them.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from devstack.runner import RunningStack
from shared.jobs import (
    ABANDON_FACTOR,
    COMPLETED,
    QUEUED,
    IdempotencyRecord,
    JobRecord,
    JobStore,
    Outbox,
    now,
    reconcile,
    resend_stalled,
)
from tests.support.job_records import job_record, job_store

RESEND_AFTER = 60.0


@pytest.fixture
def queue(stack: RunningStack) -> Iterator[QueueClient]:
    client = stack.queue_service().get_queue_client(
        f"outbox-test-{uuid.uuid4().hex[:12]}",
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )
    client.create_queue()
    yield client
    client.delete_queue()


@pytest.fixture
def store(stack: RunningStack) -> JobStore:
    return job_store(stack)


@pytest.fixture
def outbox(stack: RunningStack, queue: QueueClient) -> Iterator[Outbox]:
    box = Outbox(jobs=stack.blob_service().get_container_client("jobs"), queue=queue)
    yield box
    for pending in box.pending():  # leave no marker for the session's reconciler
        box.release(pending.job_id)


def job(status: str = QUEUED) -> JobRecord:
    return job_record("cut off", owner="tests", status=status)


def later(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def sent(queue: QueueClient) -> list[str]:
    return [json.loads(m.content)["job_id"] for m in queue.peek_messages(max_messages=32)]


def test_each_cut_off_sequence_is_finished_and_nothing_else_is_touched(
    store: JobStore, outbox: Outbox, queue: QueueClient
) -> None:
    cut_before_send = job()  # marker + state, no message: the window this closes
    store.create(cut_before_send)
    outbox.hold(cut_before_send.id)
    settled = job(COMPLETED)  # marker left by a crash after the send; the job is done
    store.create(settled)
    outbox.hold(settled.id)
    never_written = str(uuid.uuid4())  # marker only: the request died before the state
    outbox.hold(never_written)

    young = reconcile(store, outbox, resend_after=RESEND_AFTER)
    assert young["young"] == 3
    assert sent(queue) == []

    done = reconcile(store, outbox, resend_after=RESEND_AFTER, at=later(RESEND_AFTER + 5))
    assert (done["resent"], done["settled"], done["unwritten"]) == (1, 1, 1)
    assert sent(queue) == [cut_before_send.id]
    assert {p.job_id for p in outbox.pending()} == {never_written}

    old = later(RESEND_AFTER * ABANDON_FACTOR + 5)
    assert reconcile(store, outbox, resend_after=RESEND_AFTER, at=old)["abandoned"] == 1
    assert outbox.pending() == []
    assert sent(queue) == [cut_before_send.id], "nothing sent twice, nothing sent for no job"


REPLAYS, RETRIES = 30, 10
STALLED = "2026-01-01T00:00:00.000+00:00"


def test_forty_askers_at_once_send_a_stalled_job_once_per_window(
    stack: RunningStack, outbox: Outbox, queue: QueueClient
) -> None:
    """30 owner replays and 10 admin retries of a job stuck in ``queued``, all at once, each
    with a store of its own as each request has: one message. Once the window has passed
    (read ``later``), another wave: one more. The resend is on the job (``resent``)."""
    blobs = stack.blob_service()

    def a_request_store() -> JobStore:
        return JobStore(
            jobs=blobs.get_container_client("jobs"), results=blobs.get_container_client("results")
        )

    stuck = job()._replace(created=STALLED, updated=STALLED)
    a_request_store().create(stuck)

    def wave(at: dt.datetime | None) -> int:
        def ask(_: int) -> bool:
            return resend_stalled(a_request_store(), outbox, stuck.id, window=RESEND_AFTER, at=at)[
                1
            ]

        with ThreadPoolExecutor(REPLAYS + RETRIES) as pool:
            return sum(pool.map(ask, range(REPLAYS + RETRIES)))

    assert wave(None) == 1
    assert sent(queue) == [stuck.id]
    record = a_request_store().get(stuck.id)
    assert record is not None
    assert record[0].resent is not None
    assert record[0].status == QUEUED
    assert wave(None) == 0, "within the window nobody sends again"
    assert wave(later(RESEND_AFTER + 5)) == 1
    assert sent(queue) == [stuck.id, stuck.id]
    a_request_store().delete(stuck.id)


def test_the_reconciler_sends_no_job_another_asker_has_just_sent(
    store: JobStore, outbox: Outbox, queue: QueueClient
) -> None:
    """A replay sent the stalled job a moment ago: the reconciler, finding its old marker,
    drops the marker without a second message. A job younger than its marker keeps it."""
    resent = job()._replace(created=STALLED, updated=STALLED)
    store.create(resent)
    outbox.hold(resent.id)
    moment = later(RESEND_AFTER + 5)  # the marker is old by then; a replay sends the job
    assert resend_stalled(store, outbox, resent.id, window=RESEND_AFTER, at=moment)[1]
    done = reconcile(store, outbox, resend_after=RESEND_AFTER, at=moment)
    assert (done["resent"], done["settled"]) == (0, 1)
    assert sent(queue) == [resent.id]
    assert outbox.pending() == []
    store.delete(resent.id)


def test_a_claim_is_taken_over_once_and_only_while_it_is_unchanged(store: JobStore) -> None:
    owner, key = "tests", f"claim-{uuid.uuid4()}"
    first = IdempotencyRecord(str(uuid.uuid4()), "a" * 64, now())
    assert store.claim_idempotency(owner, key, first) is None
    assert store.claim_idempotency(owner, key, IdempotencyRecord("other", "b" * 64)) == first
    taken = IdempotencyRecord(first.job_id, first.request_hash, now())
    assert store.take_over_idempotency(owner, key, first, taken)
    assert not store.take_over_idempotency(owner, key, first, taken), "a second taker loses"
    assert store.get_idempotency(owner, key) == taken
    assert not store.release_idempotency(owner, key, first), "taken over: not the first's to free"
    assert store.get_idempotency(owner, key) == taken
    assert store.release_idempotency(owner, key, taken)
    assert not store.take_over_idempotency(owner, key, taken, first), "nothing left to take"
