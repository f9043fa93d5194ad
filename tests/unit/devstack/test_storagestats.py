"""Azurite's access log, classified into the Storage REST API's operations.

The operations and their paths are the Storage REST API's
(https://learn.microsoft.com/rest/api/storageservices/queue-service-rest-api and
.../blob-service-rest-api); the line format is the one Azurite writes (one per request,
read from a running stack's ``logs/azurite.log``).
"""

from __future__ import annotations

import pytest

from devstack.storagestats import StorageStats, Transaction, classify


def line(request: str, status: int = 200) -> str:
    return f'127.0.0.1 - - [25/Nov/2026:17:41:03 +0000] "{request} HTTP/1.1" {status} -'


@pytest.mark.parametrize(
    ("request_line", "expected"),
    [
        (
            "GET /devstoreaccount1/jobs/messages?numofmessages=16&visibilitytimeout=600",
            Transaction("queue", "message.receive", "jobs", 200),
        ),
        (
            "GET /devstoreaccount1/jobs/messages?numofmessages=1&peekonly=true",
            Transaction("queue", "message.peek", "jobs", 200),
        ),
        ("POST /devstoreaccount1/jobs/messages", Transaction("queue", "message.put", "jobs", 200)),
        (
            "DELETE /devstoreaccount1/jobs/messages/0f2c?popreceipt=AgAAAA",
            Transaction("queue", "message.delete", "jobs", 200),
        ),
        (
            "PUT /devstoreaccount1/jobs/messages/0f2c?popreceipt=AgAAAA&visibilitytimeout=60",
            Transaction("queue", "message.update", "jobs", 200),
        ),
        (
            "DELETE /devstoreaccount1/jobs/messages",
            Transaction("queue", "message.clear", "jobs", 200),
        ),
        (
            "GET /devstoreaccount1/jobs?comp=metadata",
            Transaction("queue", "queue.properties", "jobs", 200),
        ),
        (
            "PUT /devstoreaccount1/jobs-poison",
            Transaction("queue", "queue.create", "jobs-poison", 200),
        ),
        (
            "PUT /devstoreaccount1/jobs?restype=container",
            Transaction("blob", "container.create", "jobs", 200),
        ),
        (
            "GET /devstoreaccount1/jobs?restype=container&comp=list&prefix=idempotency",
            Transaction("blob", "container.list", "jobs", 200),
        ),
        ("PUT /devstoreaccount1/jobs/0f2c.json", Transaction("blob", "blob.write", "jobs", 200)),
        (
            "GET /devstoreaccount1/results/0f2c.json",
            Transaction("blob", "blob.read", "results", 200),
        ),
        (
            "HEAD /devstoreaccount1/jobs/idempotency/ab.json",
            Transaction("blob", "blob.properties", "jobs", 200),
        ),
        (
            "DELETE /devstoreaccount1/jobs/0f2c.json",
            Transaction("blob", "blob.delete", "jobs", 200),
        ),
        ("GET /devstoreaccount1?comp=list", Transaction("account", "account.get", "", 200)),
        ("POST /devstoreaccount1/Tables", Transaction("table", "table.post", "Tables", 200)),
        (
            "GET /devstoreaccount1/notes(PartitionKey='a',RowKey='b')",
            Transaction("table", "table.get", "notes", 200),
        ),
    ],
)
def test_each_operation_is_named_by_the_shape_of_its_path(
    request_line: str, expected: Transaction
) -> None:
    assert classify(line(request_line)) == expected


def test_the_status_is_kept_so_a_refused_call_still_counts() -> None:
    found = classify(line("PUT /devstoreaccount1/jobs/0f2c.json", status=412))
    assert found is not None
    assert found.status == 412


@pytest.mark.parametrize(
    "other",
    [
        "Azurite Blob service is successfully listening at https://127.0.0.1:10000",
        "In-memory extent storage is enabled with a limit of 12052.78 MB",
        "",
    ],
)
def test_lines_that_are_not_requests_are_not_counted(other: str) -> None:
    assert classify(other) is None
    stats = StorageStats()
    stats.record_line(other)
    assert stats.stats()["total"] == 0


def test_counts_by_service_operation_and_target_and_reset() -> None:
    stats = StorageStats()
    for request in (
        "POST /devstoreaccount1/jobs/messages",
        "POST /devstoreaccount1/jobs/messages",
        "GET /devstoreaccount1/jobs-poison/messages?numofmessages=16",
        "PUT /devstoreaccount1/jobs/0f2c.json",
    ):
        stats.record_line(line(request))
    counted = stats.stats()
    assert counted["total"] == 4
    assert counted["by_service"] == {"queue": 3, "blob": 1}
    assert counted["by_operation"] == {"message.put": 2, "message.receive": 1, "blob.write": 1}
    assert counted["by_target"] == {
        "queue:jobs:message.put": 2,
        "queue:jobs-poison:message.receive": 1,
        "blob:jobs:blob.write": 1,
    }
    stats.reset_stats()
    assert stats.stats() == {"total": 0, "by_service": {}, "by_operation": {}, "by_target": {}}
