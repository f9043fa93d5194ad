"""The job store's optimistic concurrency against real Blob Storage (Azurite over HTTPS)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobServiceClient

from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential
from shared.jobs import PROCESSING, QUEUED, JobRecord, JobStore
from tests.support.job_records import job_record, job_store


class CountingTransport(RequestsTransport):  # type: ignore[misc]
    """Counts requests by method (GET, PUT, ...) as they go out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: Counter[str] = Counter()

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent[request.method] += 1
        return super().send(request, **kwargs)


@pytest.fixture
def counted(stack: RunningStack) -> tuple[JobStore, CountingTransport]:
    transport = CountingTransport(connection_verify=stack.ca_bundle)
    service = BlobServiceClient(
        stack.endpoints["blob"], IssuerCredential(stack.issuer()), transport=transport
    )
    store = JobStore(
        jobs=service.get_container_client("jobs"),
        results=service.get_container_client("results"),
    )
    return store, transport


def _new_job(store: JobStore) -> JobRecord:
    record = job_record("etag test", owner="tests")
    store.create(record)
    return record


def test_a_second_update_of_a_job_writes_without_reading_it_again(
    counted: tuple[JobStore, CountingTransport],
) -> None:
    store, transport = counted
    job = _new_job(store)
    store.update(job.id, lambda r: r.evolve(status=PROCESSING, attempts=1))
    transport.sent.clear()
    updated = store.update(job.id, lambda r: r.evolve(last_error="x"))
    assert updated is not None
    assert dict(transport.sent) == {"PUT": 1}
    found = store.get(job.id)
    assert found is not None
    assert (found[0].status, found[0].attempts, found[0].last_error) == (PROCESSING, 1, "x")


def test_a_remembered_version_never_overwrites_a_newer_one(
    stack: RunningStack, counted: tuple[JobStore, CountingTransport]
) -> None:
    mine, _ = counted
    job = _new_job(mine)
    mine.update(job.id, lambda r: r.evolve(attempts=1))
    other = job_store(stack)
    other.update(job.id, lambda r: r.evolve(status=PROCESSING))
    # ``mine`` still remembers attempts=1/queued; its If-Match fails and it reads afresh.
    mine.update(job.id, lambda r: r.evolve(attempts=r.attempts + 1))
    found = other.get(job.id)
    assert found is not None
    assert (found[0].status, found[0].attempts) == (PROCESSING, 2)


def test_a_no_change_on_a_remembered_version_is_confirmed_on_the_stored_one(
    stack: RunningStack, counted: tuple[JobStore, CountingTransport]
) -> None:
    mine, _ = counted
    job = _new_job(mine)
    mine.update(job.id, lambda r: r.evolve(status=PROCESSING))
    other = job_store(stack)
    other.update(job.id, lambda r: r.evolve(status=QUEUED))
    # On the remembered (processing) version this is "no change"; the stored one is queued.
    result = mine.update(job.id, lambda r: None if r.status == PROCESSING else r.evolve(attempts=9))
    assert result is not None
    assert result.attempts == 9
