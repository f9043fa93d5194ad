"""shared.jobs._messages: the jobs.v1 message, ids only, size-checked both ways."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.jobs import MAX_MESSAGE_BYTES, JobMessage, MessageSchemaError, decode_message


def test_message_round_trip() -> None:
    job_id = str(uuid.uuid4())
    decoded = decode_message(JobMessage(job_id, attempt=2).encode().encode())
    assert decoded == JobMessage(job_id, attempt=2)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schema": "jobs.v0", "job_id": str(uuid.uuid4())}).encode(),
        json.dumps({"schema": "jobs.v1", "job_id": "not-a-uuid"}).encode(),
        json.dumps({"schema": "jobs.v1", "job_id": str(uuid.uuid4()), "attempt": 0}).encode(),
        b"x" * (MAX_MESSAGE_BYTES + 1),
    ],
    ids=["not json", "an array", "an old schema", "not a uuid", "attempt 0", "too long"],
)
def test_bad_messages_are_refused(body: bytes) -> None:
    with pytest.raises(MessageSchemaError):
        decode_message(body)


def test_the_message_carries_its_creation_context() -> None:
    job_id, traceparent = str(uuid.uuid4()), f"00-{'a1' * 16}-{'b2' * 8}-01"
    text = JobMessage(job_id, traceparent=traceparent).encode()
    assert json.loads(text)["traceparent"] == traceparent
    assert decode_message(text.encode()).traceparent == traceparent
    assert "traceparent" not in json.loads(JobMessage(job_id).encode())


@pytest.mark.parametrize(
    "traceparent",
    [
        f"01-{'a1' * 16}-{'b2' * 8}-01",  # another version
        f"00-{'0' * 32}-{'b2' * 8}-01",  # an all-zero trace id
        f"00-{'a1' * 16}-{'0' * 16}-01",  # an all-zero span id
        f"00-{'A1' * 16}-{'b2' * 8}-01",  # upper-case hex
        f"00-{'a1' * 16}-{'b2' * 8}-01-extra",
        42,
    ],
)
def test_a_context_that_is_not_valid_is_dropped_not_the_message(traceparent: object) -> None:
    job_id = str(uuid.uuid4())
    body = {"schema": "jobs.v1", "job_id": job_id, "traceparent": traceparent}
    assert decode_message(json.dumps(body).encode()) == JobMessage(job_id)
