"""A job stuck in ``queued``, replayed by its owner and retried by admins all at once, through
the real host: its message goes to the queue once per window, not once per asker.

The messages are counted where they land: Azurite's access log, as the stack's storage
counters classify it (``queue:jobs:message.put``, :mod:`devstack.storagestats`). The log is
written as Azurite answers, so the test waits for a request of its own made after the burst
(a peek at a queue of its own name) to be counted before it reads the count: every put of the
burst was answered before that request started. The window is the session stack's
``OUTBOX_RESEND_AFTER_SECONDS`` (60 s by default); a burst that somehow outlasted it could
rightly send once more per window passed, and the bound says so.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError

from devstack.runner import RunningStack
from devstack.tokens import DEV_CALLER_OBJECT_ID
from shared.jobs import IdempotencyRecord
from shared.settings import OUTBOX_RESEND_AFTER
from tests.support.job_records import NEUTRAL, job_record, job_store
from tests.support.jobsapi import Api
from tests.support.waiting import eventually

REPLAYS, RETRIES = 30, 10
PUTS = "queue:jobs:message.put"
LONG_AGO = "2026-01-01T00:00:00.000+00:00"


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Api:
    return Api(stack)


def puts(stack: RunningStack) -> int:
    return int(stack.stats("storage")["by_target"].get(PUTS, 0))


def counted_until_now(stack: RunningStack) -> int:
    """The jobs queue's puts, once every request made before this call is counted."""
    name = f"sync-{uuid.uuid4().hex[:12]}"
    with contextlib.suppress(ResourceNotFoundError):  # the access-log line is the point
        stack.queue_service().get_queue_client(name).peek_messages()
    target = f"queue:{name}:message.peek"
    eventually(lambda: target in stack.stats("storage")["by_target"], timeout=60)
    return puts(stack)


def test_thirty_replays_and_ten_admin_retries_send_one_message_per_window(
    api: Api, stack: RunningStack
) -> None:
    store = job_store(stack)
    stuck = job_record("stuck in queued", analysis=NEUTRAL, at=LONG_AGO)
    body = stuck.input
    store.create(stuck)  # no marker, no message
    key = f"stuck-{uuid.uuid4()}"
    claim = IdempotencyRecord(stuck.id, stuck.request_hash, LONG_AGO)
    assert store.claim_idempotency(DEV_CALLER_OBJECT_ID, key, claim) is None
    window = OUTBOX_RESEND_AFTER.get(stack.app_env)

    def replay(_: int) -> requests.Response:
        return api.submit(body, key=key)

    def retry(_: int) -> requests.Response:
        response: requests.Response = api.session.post(
            f"{api.base}/jobs/{stuck.id}/retry", headers=api.headers("Jobs.Admin"), timeout=60
        )
        return response

    before = counted_until_now(stack)
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        replays = [pool.submit(replay, i) for i in range(REPLAYS)]
        retries = [pool.submit(retry, i) for i in range(RETRIES)]
        answers = [f.result() for f in replays + retries]
    elapsed = time.monotonic() - started
    sent = counted_until_now(stack) - before

    assert all(a.status_code in (202, 409) for a in answers), [a.text for a in answers]
    assert all(a.status_code == 202 for a in answers[:REPLAYS]), "every replay is the job"
    assert {a.json()["id"] for a in answers[:REPLAYS]} == {stuck.id}
    assert sent >= 1, "the stuck job was sent again"
    assert sent <= 1 + int(elapsed // window), (sent, elapsed, window)
    found = store.get(stuck.id)
    assert found is not None
    assert found[0].resent is not None
    api.wait_for(stuck.id, "completed")
