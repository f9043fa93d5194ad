"""The jobs API: submit a job, read its status, retry a failed one.

``POST /api/jobs`` is the product's main flow: validate -> idempotency check ->
partner key from Key Vault (cached) -> partner call with the key in its
header -> job state written -> message enqueued -> ``202`` + ``Location``.
A failure anywhere before the enqueue leaves nothing behind; every error is a
JSON body naming the problem (raised as an ``ApiError``, answered by ``api_errors``).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

import azure.functions as func

if TYPE_CHECKING:  # the Storage SDK and azure.core load on the first request
    from shared.jobs.store import JobStore

from blueprints.contracts.jobs import (
    ADMIN_ROLE,
    FIELDS,
    MAX_BODY_BYTES,
    MAX_IDEMPOTENCY_KEY,
    MAX_TEXT_CHARS,
    SUBMIT_ROLE,
)
from blueprints.http.caller import require_caller
from blueprints.http.errors import (
    BadGateway,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    api_errors,
)
from blueprints.http.responses import json_response
from shared import storage
from shared.jobs.messages import JobMessage
from shared.jobs.model import FAILED, QUEUED, IdempotencyRecord, JobRecord, request_hash
from shared.partner import analyze
from shared.principal import Principal

logger = logging.getLogger("app.jobs")
bp = func.Blueprint()  # type: ignore[no-untyped-call]

NO_SUCH_JOB = "no such job"


def job_body(req: func.HttpRequest) -> dict[str, Any]:
    """The validated job: ``text`` and an optional ``language``, nothing else.

    :raises UnsupportedMediaType: not ``application/json``.
    :raises PayloadTooLarge: over ``MAX_BODY_BYTES``.
    :raises BadRequest: not UTF-8, not JSON, not an object, an unknown or invalid field
        (``target`` names it).
    """
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("send the job as application/json")
    raw = req.get_body()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8", code="invalid_encoding") from None
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest("the body is not valid JSON", code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_body")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}", code="unknown_field", target=unknown[0])
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("text must be a non-empty string", code="invalid_field", target="text")
    if len(text) > MAX_TEXT_CHARS:
        raise BadRequest(
            f"text exceeds {MAX_TEXT_CHARS} characters", code="invalid_field", target="text"
        )
    language = body.get("language")
    if language is not None and not (
        isinstance(language, str)
        and 2 <= len(language) <= 8
        and language.isascii()
        and language.replace("-", "").isalpha()
    ):
        raise BadRequest(
            "language must be a language tag such as 'en'",
            code="invalid_field",
            target="language",
        )
    return {"text": text, **({"language": language} if language else {})}


def _idempotency_key(req: func.HttpRequest) -> str | None:
    key: str | None = req.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
        raise BadRequest(
            "Idempotency-Key must be 1-200 printable ASCII characters",
            code="invalid_header",
            target="Idempotency-Key",
        )
    return key


def _accepted(record: JobRecord) -> func.HttpResponse:
    return json_response(
        record.public(), status=202, headers={"Location": f"/api/jobs/{record.id}"}
    )


@bp.route(route="jobs", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors()
def submit_job(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError

    caller = require_caller(req, SUBMIT_ROLE)
    body = job_body(req)
    key = _idempotency_key(req)
    digest = request_hash(body)
    store = storage.job_store()
    if key is not None:
        earlier = store.get_idempotency(caller.object_id, key)
        if earlier is not None:
            return _replay(store, earlier, digest)

    job_id = str(uuid.uuid4())
    try:
        analysis = analyze(body["text"], body.get("language"), idempotency_key=job_id)
    except ValueError as exc:  # an answer that is not a JSON object
        logger.error("job not accepted: partner call failed (%s)", type(exc).__name__)
        raise BadGateway("the partner API refused or failed the call") from None

    record = JobRecord(
        id=job_id,
        owner=caller.object_id,
        status=QUEUED,
        input=body,
        request_hash=digest,
        analysis=analysis,
    )
    try:
        store.create(record)
        if key is not None:
            earlier = store.claim_idempotency(
                caller.object_id, key, IdempotencyRecord(job_id, digest)
            )
            # Another request with the same key won (a claim naming this job is this very
            # claim, written by an upload the SDK retried after losing its answer).
            if earlier is not None and earlier.job_id != job_id:
                store.delete(job_id)
                return _replay(store, earlier, digest)
        storage.queue().send_message(JobMessage(job_id).encode())
    except AzureError:
        _undo(store, record, caller, key)
        raise
    logger.info("job %s accepted", job_id)
    return _accepted(record)


def _replay(store: JobStore, earlier: IdempotencyRecord, digest: str) -> func.HttpResponse:
    if earlier.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used with a different body",
            code="idempotency_conflict",
            target="Idempotency-Key",
        )
    found = store.get(earlier.job_id)
    if found is None:
        raise Conflict(
            "the job for this Idempotency-Key is being created; retry",
            code="idempotency_conflict",
            target="Idempotency-Key",
        )
    return _accepted(found[0])


def _undo(store: JobStore, record: JobRecord, caller: Principal, key: str | None) -> None:
    """Best effort: leave nothing half-written when the job could not be enqueued."""
    from azure.core.exceptions import AzureError

    try:
        store.delete(record.id)
        if key is not None:
            claim = store.get_idempotency(caller.object_id, key)
            if claim is not None and claim.job_id == record.id:
                store.release_idempotency(caller.object_id, key)
    except AzureError:
        logger.error("job %s: clean-up after a failed enqueue also failed", record.id)


def _job_id(req: func.HttpRequest) -> str:
    try:
        return str(uuid.UUID(req.route_params.get("id") or ""))
    except ValueError:
        raise NotFound(NO_SUCH_JOB, target="id") from None


@bp.route(route="jobs/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors()
def get_job(req: func.HttpRequest) -> func.HttpResponse:
    caller = require_caller(req)
    job_id = _job_id(req)
    store = storage.job_store()
    found = store.get(job_id)
    if found is None or (found[0].owner != caller.object_id and not caller.has_role(ADMIN_ROLE)):
        raise NotFound(NO_SUCH_JOB, target="id")
    record = found[0]
    view = record.public()
    if record.result is not None:
        view["result"] = store.read_result(job_id)
    return json_response(view)


@bp.route(route="jobs/{id}/retry", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@api_errors()
def retry_job(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError

    require_caller(req, ADMIN_ROLE)
    job_id = _job_id(req)

    failed: list[JobRecord] = []

    def requeue(record: JobRecord) -> JobRecord | None:
        if record.status != FAILED:
            return None
        failed.append(record)
        return record.evolve(status=QUEUED, reason=None, last_error=None, attempts=0)

    store = storage.job_store()
    record = store.update(job_id, requeue)
    if record is None:
        raise NotFound(NO_SUCH_JOB, target="id")
    if not failed:
        raise Conflict("only a failed job can be retried", code="not_failed", target="id")
    try:
        storage.queue().send_message(JobMessage(job_id).encode())
    except AzureError:
        _restore_failed(store, failed[-1])
        raise
    logger.info("job %s re-enqueued", job_id)
    return _accepted(record)


def _restore_failed(store: JobStore, before: JobRecord) -> None:
    """Put a job back to ``failed`` when its retry could not be enqueued, so it can be
    retried again rather than sit ``queued`` with no message."""
    from azure.core.exceptions import AzureError

    def restore(current: JobRecord) -> JobRecord | None:
        if current.status != QUEUED or current.attempts != 0:
            return None  # something else has moved it on
        return current.evolve(
            status=FAILED,
            reason=before.reason,
            last_error=before.last_error,
            attempts=before.attempts,
        )

    try:
        store.update(before.id, restore)
    except AzureError:
        logger.error("job %s: could not restore failed after a failed re-enqueue", before.id)
