"""The jobs queue's message: versioned JSON, size-checked, carrying the job it names.

A new job's message is sent *before* its state blob is written, and carries what that
blob holds when it is first written (owner, input, request hash, the partner's analysis
as the app kept it, creation time): so the message is the job's durable record, and a
request that ends between the two (a crash, a scale-in) leaves a message from which the
worker writes the state itself (:mod:`blueprints.worker`). One write fewer than a marker
of its own would cost (docs/performance.md, "The submission's storage calls"). Messages
sent again for a job whose state exists (a replay, a retry, the outbox) carry its id only.

What a message carries is what the job's state holds, never more: no secret (the partner's
answer is kept through its allow-list), and within what one message of the jobs queue
carries (:func:`shared.queues.payload_limit`: 48 KiB of payload once base64-encoded); a job
too large to carry is sent the other way, state first behind an outbox marker
(:mod:`shared.jobs._outbox`).

It also carries the W3C ``traceparent`` of the span that sent it (its *creation context*,
as the OpenTelemetry messaging conventions call it), so the worker continues the job's
trace: a queue message has no headers, and the Functions host does not read the body.
A ``traceparent`` that is not valid is dropped on reading (the trace starts afresh, as the
W3C Trace Context says); it never makes a message unreadable.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from shared.jobs._model import QUEUED, JobRecord, request_hash
from shared.jobs.errors import MessageSchemaError
from shared.queues import JOBS_ENCODING, payload_limit
from shared.tracing import valid_traceparent

SCHEMA = "jobs.v1"
MAX_MESSAGE_BYTES = payload_limit(JOBS_ENCODING)
#: The fields of a new job's state that its message carries (the rest are the defaults).
CARRIED = ("owner", "input", "request_hash", "analysis", "created")


class JobMessage(NamedTuple):
    job_id: str
    attempt: int = 1
    #: The new job itself, as its state is first written (None: the state exists).
    job: JobRecord | None = None
    #: The context of the span that sent the message: the job's trace, continued.
    traceparent: str | None = None

    def encode(self) -> str:
        """JSON text; the queue client encodes it on send (:mod:`shared.queues`).

        :raises MessageSchemaError: over ``MAX_MESSAGE_BYTES`` (raised before anything is
            sent, so the caller may send the job another way).
        """
        document: dict[str, Any] = {"schema": SCHEMA, "job_id": self.job_id}
        document["attempt"] = self.attempt
        if self.job is not None:
            document["job"] = {name: getattr(self.job, name) for name in CARRIED}
        if self.traceparent is not None:
            document["traceparent"] = self.traceparent
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        try:
            size = len(text.encode())
        except UnicodeEncodeError:
            # A lone surrogate (``"\ud800"`` is valid JSON, but no character UTF-8 can
            # carry): escaped, as JSON allows, so the message stays text the queue takes.
            text = json.dumps(document, separators=(",", ":"))
            size = len(text)
        if size > MAX_MESSAGE_BYTES:
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
    import uuid  # here, not at indexing: uuid loads the platform module (about 5 ms)

    try:
        uuid.UUID(str(job_id))
    except ValueError as exc:
        raise MessageSchemaError("job_id is not a UUID") from exc
    if not isinstance(attempt, int) or attempt < 1:
        raise MessageSchemaError("attempt must be a positive integer")
    traceparent = valid_traceparent(document.get("traceparent"))
    carried = document.get("job")
    job = None if carried is None else _job(str(job_id), carried, traceparent)
    return JobMessage(job_id=str(job_id), attempt=attempt, job=job, traceparent=traceparent)


def _job(job_id: str, carried: Any, traceparent: str | None) -> JobRecord:
    """The new job a message carries, checked as the API wrote it: every field of its kind,
    and the input that the request hash was taken of. Its trace is the message's: a state
    the worker writes from the message keeps it for every later send."""
    if not isinstance(carried, dict) or set(carried) != set(CARRIED):
        raise MessageSchemaError(f"job must be an object of exactly {', '.join(CARRIED)}")
    owner, body, digest = carried["owner"], carried["input"], carried["request_hash"]
    analysis, created = carried["analysis"], carried["created"]
    if not (isinstance(owner, str) and isinstance(digest, str) and isinstance(created, str)):
        raise MessageSchemaError("job owner, request_hash and created must be strings")
    if not isinstance(body, dict) or not (analysis is None or isinstance(analysis, dict)):
        raise MessageSchemaError("job input must be an object, its analysis an object or null")
    if request_hash(body) != digest:
        raise MessageSchemaError("job request_hash is not the hash of its input")
    return JobRecord(
        id=job_id,
        owner=owner,
        status=QUEUED,
        input=body,
        request_hash=digest,
        created=created,
        updated=created,
        analysis=analysis,
        traceparent=traceparent,
    )
