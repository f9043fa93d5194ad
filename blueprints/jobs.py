"""The jobs API: submit a job, read its status, retry a failed one.

``POST /api/jobs`` is the product's main flow: validate -> idempotency check ->
partner key from Key Vault (cached) -> partner call with the key in its
header -> job state written -> message enqueued -> ``202`` + ``Location``.
A failure anywhere before the enqueue leaves nothing behind; every error is a
JSON body naming the problem.
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
from blueprints.http.responses import error_response, json_response, unavailable_response
from shared import storage
from shared.errors import OutboundError, PartnerUnavailableError, VaultError, VaultUnavailableError
from shared.jobs.messages import JobMessage
from shared.jobs.model import FAILED, QUEUED, IdempotencyRecord, JobRecord, request_hash
from shared.partner import analyze
from shared.principal import Principal, PrincipalError, principal_from_headers

logger = logging.getLogger("app.jobs")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


class BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str, target: str | None = None) -> None:
        super().__init__(message)
        self.response = error_response(status, code, message, target=target)


def _caller(req: func.HttpRequest, role: str | None) -> Principal:
    try:
        principal = principal_from_headers(req.headers)
    except PrincipalError as exc:
        raise BadRequest(401, "unauthenticated", "an authenticated caller is required") from exc
    if role is not None and not principal.has_role(role):
        raise BadRequest(403, "forbidden", f"the caller lacks the app role {role}")
    return principal


def _job_body(req: func.HttpRequest) -> dict[str, Any]:
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise BadRequest(415, "unsupported_media_type", "send the job as application/json")
    raw = req.get_body()
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, "payload_too_large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(400, "invalid_encoding", "the body is not valid UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest(400, "invalid_json", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "invalid_body", "the body must be a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise BadRequest(400, "unknown_field", f"unknown field {unknown[0]!r}", unknown[0])
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(400, "invalid_field", "text must be a non-empty string", "text")
    if len(text) > MAX_TEXT_CHARS:
        raise BadRequest(400, "invalid_field", f"text exceeds {MAX_TEXT_CHARS} characters", "text")
    language = body.get("language")
    if language is not None and not (
        isinstance(language, str)
        and 2 <= len(language) <= 8
        and language.isascii()
        and language.replace("-", "").isalpha()
    ):
        raise BadRequest(
            400, "invalid_field", "language must be a language tag such as 'en'", "language"
        )
    return {"text": text, **({"language": language} if language else {})}


def _idempotency_key(req: func.HttpRequest) -> str | None:
    key: str | None = req.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
        raise BadRequest(
            400,
            "invalid_header",
            "Idempotency-Key must be 1-200 printable ASCII characters",
            "Idempotency-Key",
        )
    return key


def _accepted(record: JobRecord) -> func.HttpResponse:
    return json_response(
        record.public(), status=202, headers={"Location": f"/api/jobs/{record.id}"}
    )


@bp.route(route="jobs", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def submit_job(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError

    try:
        caller = _caller(req, SUBMIT_ROLE)
        body = _job_body(req)
        key = _idempotency_key(req)
    except BadRequest as bad:
        return bad.response
    digest = request_hash(body)
    store = storage.job_store()
    if key is not None:
        try:
            earlier = store.get_idempotency(caller.object_id, key)
            if earlier is not None:
                return _replay(store, earlier, digest)
        except AzureError as exc:
            logger.error("job not accepted: storage failed (%s)", type(exc).__name__)
            return unavailable_response("storage is unavailable; retry later")

    job_id = str(uuid.uuid4())
    try:
        analysis = analyze(body["text"], body.get("language"), idempotency_key=job_id)
    except (VaultUnavailableError, PartnerUnavailableError) as exc:
        logger.warning("job not accepted: %s", type(exc).__name__)
        return unavailable_response(
            "a dependency is unavailable; retry later", retry_after=exc.retry_after
        )
    except (VaultError, OutboundError, ValueError) as exc:
        logger.error("job not accepted: partner call failed (%s)", type(exc).__name__)
        return error_response(502, "partner_error", "the partner API refused or failed the call")

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
    except AzureError as exc:
        logger.error("job %s not accepted: storage failed (%s)", job_id, type(exc).__name__)
        _undo(store, record, caller, key)
        return unavailable_response("storage is unavailable; retry later")
    logger.info("job %s accepted", job_id)
    return _accepted(record)


def _replay(store: JobStore, earlier: IdempotencyRecord, digest: str) -> func.HttpResponse:
    if earlier.request_hash != digest:
        return error_response(
            409,
            "idempotency_conflict",
            "this Idempotency-Key was used with a different body",
            target="Idempotency-Key",
        )
    found = store.get(earlier.job_id)
    if found is None:
        return error_response(
            409,
            "idempotency_conflict",
            "the job for this Idempotency-Key is being created; retry",
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


def _valid_id(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return None


@bp.route(route="jobs/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_job(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError

    try:
        caller = _caller(req, None)
    except BadRequest as bad:
        return bad.response
    job_id = _valid_id(req.route_params.get("id"))
    if job_id is None:
        return error_response(404, "not_found", "no such job", target="id")
    store = storage.job_store()
    try:
        found = store.get(job_id)
        if found is None or (
            found[0].owner != caller.object_id and not caller.has_role(ADMIN_ROLE)
        ):
            return error_response(404, "not_found", "no such job", target="id")
        record = found[0]
        view = record.public()
        if record.result is not None:
            view["result"] = store.read_result(job_id)
    except AzureError as exc:
        logger.error("job %s not read: storage failed (%s)", job_id, type(exc).__name__)
        return unavailable_response("storage is unavailable; retry later")
    return json_response(view)


@bp.route(route="jobs/{id}/retry", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def retry_job(req: func.HttpRequest) -> func.HttpResponse:
    from azure.core.exceptions import AzureError

    try:
        _caller(req, ADMIN_ROLE)
    except BadRequest as bad:
        return bad.response
    job_id = _valid_id(req.route_params.get("id"))
    if job_id is None:
        return error_response(404, "not_found", "no such job", target="id")

    failed: list[JobRecord] = []

    def requeue(record: JobRecord) -> JobRecord | None:
        if record.status != FAILED:
            return None
        failed.append(record)
        return record.evolve(status=QUEUED, reason=None, last_error=None, attempts=0)

    store = storage.job_store()
    try:
        record = store.update(job_id, requeue)
    except AzureError as exc:
        logger.error("job %s not retried: storage failed (%s)", job_id, type(exc).__name__)
        return unavailable_response("storage is unavailable; retry later")
    if record is None:
        return error_response(404, "not_found", "no such job", target="id")
    if not failed:
        return error_response(409, "not_failed", "only a failed job can be retried", target="id")
    try:
        storage.queue().send_message(JobMessage(job_id).encode())
    except AzureError as exc:
        logger.error("job %s not re-enqueued: storage failed (%s)", job_id, type(exc).__name__)
        _restore_failed(store, failed[-1])
        return unavailable_response("storage is unavailable; retry later")
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
