"""shared.jobs._messages: the jobs.v1 message, size-checked both ways; a new job's message
carries the job, checked field by field and against its request hash."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from shared.jobs import (
    MAX_MESSAGE_BYTES,
    QUEUED,
    JobMessage,
    JobRecord,
    MessageSchemaError,
    decode_message,
    now,
    request_hash,
)


def new_job(text: str = "a good day", **changes: Any) -> JobRecord:
    body = {"text": text, "language": "en"}
    record = JobRecord(
        id=str(uuid.uuid4()),
        owner="caller-oid",
        status=QUEUED,
        input=body,
        request_hash=request_hash(body),
        created=now(),
        updated=now(),
        analysis={"analysis_id": "a-1", "language": "en", "sentiment": "positive"},
    )
    return record._replace(updated=record.created, **changes)


def test_message_round_trip() -> None:
    job_id = str(uuid.uuid4())
    decoded = decode_message(JobMessage(job_id, attempt=2).encode().encode())
    assert decoded == JobMessage(job_id, attempt=2)


def test_a_new_jobs_message_carries_what_its_state_is_first_written_with() -> None:
    job = new_job("un café, s'il vous plaît \U0001f600")
    decoded = decode_message(JobMessage(job.id, job=job).encode().encode())
    assert decoded == JobMessage(job.id, job=job)


def test_a_lone_surrogate_travels_escaped_and_comes_back_as_it_was() -> None:
    """JSON accepts ``"\ud800"``, UTF-8 cannot carry it: the message escapes it."""
    job = new_job("a\ud800b")
    text = JobMessage(job.id, job=job).encode()
    assert text.isascii()
    assert decode_message(text.encode()) == JobMessage(job.id, job=job)


def test_the_largest_text_the_api_takes_fits_unless_json_must_escape_it() -> None:
    """10,000 characters (MAX_TEXT_CHARS) of four UTF-8 bytes each fit the 48 KiB payload;
    10,000 control characters, six bytes each once escaped, do not: that job is sent the
    other way (state first, behind an outbox marker)."""
    widest = new_job("\U0001f600" * 10_000)
    assert len(JobMessage(widest.id, job=widest).encode().encode()) <= MAX_MESSAGE_BYTES
    escaped = new_job("\x01" * 10_000)
    with pytest.raises(MessageSchemaError, match="exceeds"):
        JobMessage(escaped.id, job=escaped).encode()


def carried(job: JobRecord, **changes: Any) -> bytes:
    document = json.loads(JobMessage(job.id, job=job).encode())
    document["job"].update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schema": "jobs.v0", "job_id": str(uuid.uuid4())}).encode(),
        json.dumps({"schema": "jobs.v1", "job_id": "not-a-uuid"}).encode(),
        json.dumps({"schema": "jobs.v1", "job_id": str(uuid.uuid4()), "attempt": 0}).encode(),
        b"x" * (MAX_MESSAGE_BYTES + 1),
        json.dumps({"schema": "jobs.v1", "job_id": str(uuid.uuid4()), "job": []}).encode(),
        carried(new_job(), status="completed"),  # a field no new job's message carries
        carried(new_job(), owner=7),
        carried(new_job(), input="a good day"),
        carried(new_job(), analysis=["not", "an", "object"]),
        carried(new_job(), created=None),
        carried(new_job(), input={"text": "not what was hashed"}),
    ],
    ids=[
        "not json",
        "an array",
        "an old schema",
        "not a uuid",
        "attempt 0",
        "too long",
        "a job that is not an object",
        "a job with a field more",
        "an owner not a string",
        "an input not an object",
        "an analysis not an object",
        "no creation time",
        "an input not what was hashed",
    ],
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


def test_a_carried_job_keeps_the_message_s_trace_for_its_later_sends() -> None:
    """The worker may write a new job's state from its message: the record then holds the
    trace the request started, which a replay, a retry or the outbox continues."""
    traceparent = f"00-{'c3' * 16}-{'d4' * 8}-01"
    job = new_job()
    decoded = decode_message(JobMessage(job.id, job=job, traceparent=traceparent).encode().encode())
    assert decoded.job == job._replace(traceparent=traceparent)
    untraced = decode_message(JobMessage(job.id, job=job).encode().encode())
    assert untraced.job == job


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
