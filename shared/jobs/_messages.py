"""The jobs queue's message: versioned JSON, small, carrying ids only.

The job's input lives in its state blob; the message only says which job to
process, so a message never carries user data or anything secret and stays
far below what one message of the jobs queue carries (:func:`shared.queues.payload_limit`:
48 KiB of payload once base64-encoded).

It also carries the W3C ``traceparent`` of the span that sent it (its *creation context*,
as the OpenTelemetry messaging conventions call it), so the worker continues the job's
trace: a queue message has no headers, and the Functions host does not read the body.
A ``traceparent`` that is not valid is dropped on reading (the trace starts afresh, as the
W3C Trace Context says); it never makes a message unreadable.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from shared.jobs.errors import MessageSchemaError
from shared.queues import JOBS_ENCODING, payload_limit
from shared.tracing import valid_traceparent

SCHEMA = "jobs.v1"
MAX_MESSAGE_BYTES = payload_limit(JOBS_ENCODING)


@dataclass(frozen=True, slots=True)
class JobMessage:
    job_id: str
    attempt: int = 1
    traceparent: str | None = None

    def encode(self) -> str:
        """JSON text; the queue client encodes it on send (:mod:`shared.queues`)."""
        document: dict[str, object] = {
            "schema": SCHEMA,
            "job_id": self.job_id,
            "attempt": self.attempt,
        }
        if self.traceparent is not None:
            document["traceparent"] = self.traceparent
        text = json.dumps(document, separators=(",", ":"))
        if len(text.encode()) > MAX_MESSAGE_BYTES:
            raise MessageSchemaError(f"message exceeds {MAX_MESSAGE_BYTES} bytes")
        return text


def decode_message(body: bytes) -> JobMessage:
    """Parse a decoded message body; anything else is a :class:`MessageSchemaError`."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise MessageSchemaError(f"message exceeds {MAX_MESSAGE_BYTES} bytes")
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageSchemaError("message is not JSON") from exc
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise MessageSchemaError(f"message schema is not {SCHEMA}")
    job_id = document.get("job_id")
    attempt = document.get("attempt", 1)
    try:
        uuid.UUID(str(job_id))
    except ValueError as exc:
        raise MessageSchemaError("job_id is not a UUID") from exc
    if not isinstance(attempt, int) or attempt < 1:
        raise MessageSchemaError("attempt must be a positive integer")
    return JobMessage(
        job_id=str(job_id),
        attempt=attempt,
        traceparent=valid_traceparent(document.get("traceparent")),
    )
