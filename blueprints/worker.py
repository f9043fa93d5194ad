"""The queue worker: processes jobs idempotently; the poison handler records failures.

A redelivered message never redoes completed work: the result blob is written
once (``If-None-Match: *``) and state changes are ETag-conditional. A new job's message
carries the job, so one whose state was never written (its request ended between the
enqueue and the state write) is written from the message, then processed. A failure
raises, so the host retries; after ``maxDequeueCount`` attempts the host moves
the message to ``jobs-poison``, where :func:`record_poisoned_job` marks the
job ``failed`` with a reason and keeps the original message for replay.
Nothing is lost silently.

Each invocation is a ``process`` consumer span that continues the job's trace: its parent
is the message's creation context (the ``traceparent`` it carries), which it also links to,
as the OpenTelemetry messaging conventions ask of a process span; and it links to the
invocation's own context (the host's). A redelivered message carries the same context, so
every attempt, and the poison handler's, joins the one trace of the job.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from contextlib import AbstractContextManager
from typing import Any

import azure.functions as func

from shared import storage
from shared.errors import AppError
from shared.jobs import (
    COMPLETED,
    FAILED,
    PROCESSING,
    JobMessage,
    JobRecord,
    MessageSchemaError,
    decode_message,
    now,
)
from shared.outbound import PartnerAnswerError
from shared.partner import analysis_from
from shared.tracing import SpanHandle, annotate, span, traced

logger = logging.getLogger("app.worker")
bp = func.Blueprint()  # type: ignore[no-untyped-call]

WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
WORDS_PER_MINUTE = 200


class InvalidJobError(AppError, ValueError):
    """The job's stored state cannot be processed (retrying will not help)."""

    code = "invalid_job"


@traced("compute result", job="record")
def compute_result(record: JobRecord) -> dict[str, Any]:
    """The work itself: text statistics combined with the partner's analysis (its kept
    fields only, each one of the app's own values, so the result carries nothing the partner
    wrote: not its identifiers, not its counts)."""
    text = record.input.get("text") if isinstance(record.input, dict) else None
    if not isinstance(text, str) or not text:
        raise InvalidJobError("job input has no text")
    if not record.analysis:
        raise InvalidJobError("job has no partner analysis")
    asked = record.input.get("language")
    try:  # checked again: a record written before the allow-list may hold anything
        analysis = analysis_from(
            record.analysis, requested_language=asked if isinstance(asked, str) and asked else None
        )
    except PartnerAnswerError as exc:
        raise InvalidJobError(f"job's partner analysis is refused: {exc}") from None
    words = [w.lower() for w in WORDS.findall(text)]
    return {
        "job_id": record.id,
        "language": analysis["language"],
        "sentiment": analysis["sentiment"],
        "characters": len(text),
        "word_count": len(words),
        "unique_words": len(set(words)),
        "top_words": [w for w, _ in Counter(words).most_common(5)],
        "reading_time_seconds": math.ceil(len(words) * 60 / WORDS_PER_MINUTE),
        "completed": now(),
    }


def _processing(
    msg: func.QueueMessage, queue: str, message: JobMessage | None
) -> AbstractContextManager[SpanHandle]:
    """The consumer span of one delivery, in the job's trace when the message says which."""
    attributes: dict[str, str | int] = {
        "messaging.system": "azure_queue_storage",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": queue,
        "messaging.message.id": msg.id or "",
        "app.delivery.count": msg.dequeue_count or 1,
    }
    traceparent = None if message is None else message.traceparent
    if message is not None:
        attributes["app.job.id"] = message.job_id
    links = () if traceparent is None else (traceparent,)
    return span(
        f"process {queue}", kind="consumer", attributes=attributes, parent=traceparent, links=links
    )


@bp.queue_trigger(arg_name="msg", queue_name=storage.JOBS_QUEUE, connection="JobsStorage")
def process_job(msg: func.QueueMessage) -> None:
    message = decode_message(msg.get_body())
    with _processing(msg, storage.JOBS_QUEUE, message):
        _process(message)


def _process(message: JobMessage) -> None:
    store = storage.job_store()

    def start(record: JobRecord) -> JobRecord | None:
        if record.status in (COMPLETED, FAILED):
            return None  # a redelivered message: the work is already settled
        return record.evolve(status=PROCESSING, attempts=record.attempts + 1)

    record = store.update(message.job_id, start)
    if record is None and message.job is not None:
        # A new job's message is sent before its state is written: the request that sent it
        # has not written it yet, or never will (it ended in between). The message holds
        # what the state would; it is written already started (If-None-Match: once, and
        # the request's own write then finds it there), at the cost the usual start has.
        record = start(message.job)
        if record is not None and store.create(record):
            logger.info("job %s: state written from its message", message.job_id)
        else:  # the request wrote it while the worker looked
            record = store.update(message.job_id, start)
    if record is None:
        raise InvalidJobError(f"job {message.job_id} has no state")
    if record.status in (COMPLETED, FAILED):
        annotate({"app.job.outcome": f"already {record.status}"})
        logger.info("job %s already %s; message ignored", record.id, record.status)
        return
    try:
        result = compute_result(record)
        name = store.write_result(record.id, result)
    except Exception as exc:
        error = type(exc).__name__
        if isinstance(exc, InvalidJobError):  # our own message, safe to keep
            error = f"{error}: {exc}"
        store.update(record.id, lambda r: r.evolve(last_error=error))
        raise

    def finish(current: JobRecord) -> JobRecord | None:
        if current.status in (COMPLETED, FAILED):
            return None
        return current.evolve(status=COMPLETED, result=name, last_error=None)

    store.update(record.id, finish)
    annotate({"app.job.outcome": COMPLETED})
    logger.info("job %s completed", record.id)


@bp.queue_trigger(arg_name="msg", queue_name=storage.POISON_QUEUE, connection="JobsStorage")
def record_poisoned_job(msg: func.QueueMessage) -> None:
    raw = msg.get_body()
    try:
        message: JobMessage | None = decode_message(raw)
    except MessageSchemaError:
        message = None
    with _processing(msg, storage.POISON_QUEUE, message):
        _record_poisoned(msg, raw, None if message is None else message.job_id)


def _record_poisoned(msg: func.QueueMessage, raw: bytes, job_id: str | None) -> None:
    content = raw.decode("utf-8", errors="replace")
    store = storage.job_store()
    kept = store.keep_poison_message(job_id, msg.id or "unknown", content)
    if job_id is None:
        logger.error(
            "a message that is not a job landed in %s; kept as %s", storage.POISON_QUEUE, kept
        )
        return

    def fail(record: JobRecord) -> JobRecord | None:
        if record.status == COMPLETED:
            return None
        detail = record.last_error or "unknown error"
        reason = f"processing failed after {record.attempts} attempt(s): {detail}"
        return record.evolve(status=FAILED, reason=reason)

    if store.update(job_id, fail) is None:
        logger.error("poisoned job %s has no state; message kept as %s", job_id, kept)
        return
    logger.warning("job %s failed; its message is kept as %s", job_id, kept)
