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
