"""Twenty concurrent submissions with one Idempotency-Key: one job, one partner call.

The key is claimed in Blob Storage (``If-None-Match: *``) before the partner is called, so
of twenty requests racing with one key exactly one calls the partner; the others are told
``409 idempotency_in_progress`` with ``Retry-After`` while its job is being written (as the
IETF draft "The Idempotency-Key HTTP Header Field", section 2.6, asks of a request that
repeats one still in progress) and replay its job after. Counted by the partner stub,
whose counters see every call, whatever the app thinks it did.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from devstack.runner import RunningStack
from tests.support import canary
from tests.support.jobclient import JobClient

RACERS = 20


def test_twenty_racing_submissions_with_one_key_make_one_job_and_one_partner_call(
    stack: RunningStack,
) -> None:
    client = JobClient(stack, pool=RACERS)
    key = f"race-{uuid.uuid4()}"
    text = "twenty hands, one job"
    before = stack.stats("partner")["calls"]
    with ThreadPoolExecutor(RACERS) as pool:
        first = list(pool.map(lambda _: client.post(key, text), range(RACERS)))
    statuses = sorted({r.status_code for r in first})
    assert set(statuses) <= {202, 409}, statuses
    for refused in (r for r in first if r.status_code == 409):
        assert refused.json()["error"]["code"] == "idempotency_in_progress"
        assert int(refused.headers["Retry-After"]) >= 1
    # Every racer, repeating after its Retry-After, ends with the one job.
    with ThreadPoolExecutor(RACERS) as pool:
        ids = set(pool.map(lambda _: client.submit(key, text), range(RACERS)))
    accepted = {r.json()["id"] for r in first if r.status_code == 202}
    assert len(ids) == 1
    assert accepted <= ids
    (job_id,) = ids
    partner = stack.stats("partner")
    assert partner["by_idempotency_key"].get(job_id) == 1
    assert partner["calls"] - before == 1
    done = requests.get(f"{stack.api}/jobs/{job_id}", headers=client.headers(), timeout=30).json()
    assert done["id"] == job_id
    for response in client.responses:
        canary.RESPONSES.append(response)
