"""The jobs API: submit a job, read its status, retry a failed one.

``POST /api/jobs`` is the product's main flow: validate -> claim the Idempotency-Key ->
partner key from Key Vault (cached) -> partner call with the key in its header -> the
job's message enqueued, carrying the job -> job state written -> ``202`` + ``Location``:
the partner call, one enqueue and one blob write, nothing more on the request path. A
failure before the enqueue leaves nothing behind (the claim is released). From the enqueue
on nothing is undone, since a write whose answer was lost may well have happened: the
message is the job's durable record, and the worker writes the state from it if this
instance dies before it does (:mod:`shared.jobs._messages`); a 503 from this point on may
still end in a processed job, which a retry with the same Idempotency-Key finds and
replays. A job too large for a message goes the other way: state first, behind an outbox
marker (:mod:`shared.jobs._outbox`). Every error is a JSON body naming the problem (raised
as an ``ApiError``, answered by ``api_errors``).

Concurrent requests with one Idempotency-Key: the key is claimed (``If-None-Match: *``)
before the partner is called, so exactly one of them calls the partner; the others are
answered ``409 in_progress`` with ``Retry-After`` until its job exists, then replay it
(the IETF draft "The Idempotency-Key HTTP Header Field" asks for 409 while the first
request is still being processed). A claim whose job never appeared (its request died) is
taken over, with its job id, once it is older than ``OUTBOX_RESEND_AFTER_SECONDS``: the
partner then sees the same idempotency key again.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import azure.functions as func

if TYPE_CHECKING:  # the Storage SDK and azure.core load on the first request
    from shared.jobs import JobStore, Outbox

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
    InProgress,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    api_errors,
)
from blueprints.http.responses import json_response
from blueprints.http.tracing import server_span
from shared import partner, storage
from shared.callers import Principal
from shared.jobs import (
    FAILED,
    QUEUED,
    IdempotencyRecord,
    JobRecord,
    MessageSchemaError,
    now,
    request_hash,
)
from shared.settings import get_settings
from shared.tracing import annotate, current_traceparent

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
@server_span("POST", "jobs")
@api_errors()
def submit_job(req: func.HttpRequest) -> func.HttpResponse:
    caller = require_caller(req, SUBMIT_ROLE)
    body = job_body(req)
    key = _idempotency_key(req)
    digest = request_hash(body)
    store = storage.job_store()
    job_id, replayed, mine = _claim(store, caller, key, digest)
    annotate({"app.job.id": job_id})
    if replayed is not None:
        return _replay(store, replayed)

    try:
        try:
            analysis = partner.analyze(body["text"], body.get("language"), idempotency_key=job_id)
        except ValueError as exc:  # an answer that is not a JSON object
            logger.error("job not accepted: partner call failed (%s)", type(exc).__name__)
            raise BadGateway("the partner API refused or failed the call") from None
    except BaseException:
        _release_claim(store, caller, key, mine)
        raise

    stamp = now()
    record = JobRecord(
        id=job_id,
        owner=caller.object_id,
        status=QUEUED,
        input=body,
        request_hash=digest,
        created=stamp,
        updated=stamp,
        analysis=analysis,
        traceparent=current_traceparent(),  # the job's trace: later sends continue it
    )
    outbox = storage.outbox()
    try:
        # From here the job may exist, whatever an error says (a message whose answer was
        # lost): nothing is undone, the claim included. The worker writes the state from
        # the message if this instance never does; a retry with the same Idempotency-Key
        # replays the job once it is there, or takes the claim over once it is old enough.
        outbox.send(job_id, job=record)
    except MessageSchemaError:  # too large to carry: raised before anything was sent
        return _submit_state_first(store, outbox, caller, key, record, mine)
    store.create(record)  # readable at once
    logger.info("job %s accepted", job_id)
    return _accepted(record)


def _submit_state_first(
    store: JobStore,
    outbox: Outbox,
    caller: Principal,
    key: str | None,
    record: JobRecord,
    mine: IdempotencyRecord | None,
) -> func.HttpResponse:
    """A job too large for its message to carry: the state first, behind an outbox marker,
    then a message with its id only (two storage calls more than the usual way)."""
    from azure.core.exceptions import AzureError

    try:
        outbox.hold(record.id)
    except AzureError:
        _release_claim(store, caller, key, mine)  # nothing of this job was written
        raise
    # From here the job may exist, whatever an error says: nothing is undone. The outbox
    # sends a job whose state is there.
    store.create(record)
    outbox.dispatch(record.id)
    logger.info("job %s accepted", record.id)
    return _accepted(record)


def _claim(
    store: JobStore, caller: Principal, key: str | None, digest: str
) -> tuple[str, JobRecord | None, IdempotencyRecord | None]:
    """The job id this request goes on with, or the earlier job it replays; and the claim
    this request wrote afresh, the only one it may release when it fails (None when it took
    over a claim: the request that died may have sent that job's message already).

    :raises Conflict: the key was used with a different body.
    :raises InProgress: the request that claimed the key is still being handled.
    """
    import uuid  # here, not at indexing: uuid loads the platform module (about 5 ms)

    job_id = str(uuid.uuid4())
    if key is None:
        return job_id, None, None
    owner = caller.object_id
    mine = IdempotencyRecord(job_id, digest, now())
    earlier = store.claim_idempotency(owner, key, mine)
    if earlier is None:
        return job_id, None, mine
    if earlier.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used with a different body",
            code="idempotency_conflict",
            target="Idempotency-Key",
        )
    found = store.get(earlier.job_id)
    if found is not None:
        return earlier.job_id, found[0], None
    in_progress = InProgress(
        "the first request with this Idempotency-Key is still being handled; retry",
        code="idempotency_in_progress",
        target="Idempotency-Key",
    )
    if earlier.age() < get_settings().outbox_resend_after:
        raise in_progress
    # The request that claimed the key died before writing its job: go on in its place,
    # with its job id, so the partner sees the same idempotency key again.
    taken = IdempotencyRecord(earlier.job_id, digest, now())
    if not store.take_over_idempotency(owner, key, earlier, taken):
        raise in_progress
    logger.warning("job %s: taking over an Idempotency-Key whose request died", earlier.job_id)
    return earlier.job_id, None, None


def _replay(store: JobStore, record: JobRecord) -> func.HttpResponse:
    """The earlier job, once more; one still ``queued`` long after it was accepted may have
    lost its message to a crash, so it is sent again (the worker is idempotent), once per
    window however many replays and retries ask (:func:`shared.jobs.resend_stalled`)."""
    if record.status == QUEUED:
        from shared.jobs import resend_stalled

        window = get_settings().outbox_resend_after
        current, sent = resend_stalled(store, storage.outbox(), record.id, window=window)
        if sent:
            logger.warning("job %s replayed while queued; its message was sent again", record.id)
        record = current or record
    return _accepted(record)


def _release_claim(
    store: JobStore, caller: Principal, key: str | None, claim: IdempotencyRecord | None
) -> None:
    """Best effort: free the Idempotency-Key claim this request wrote, so a retry starts
    afresh. A claim it took over is kept (the job the request that died began may still
    appear, from its message, and a retry must get that job); so is one another request has
    taken over since (the store frees a claim only while it is the one written here)."""
    from azure.core.exceptions import AzureError

    if key is None or claim is None:
        return
    try:
        store.release_idempotency(caller.object_id, key, claim)
    except AzureError:
        logger.error("job %s: could not release its Idempotency-Key claim", claim.job_id)


def _job_id(req: func.HttpRequest) -> str:
    import uuid  # as in _claim: not at indexing

    try:
        return str(uuid.UUID(req.route_params.get("id") or ""))
    except ValueError:
        raise NotFound(NO_SUCH_JOB, target="id") from None


@bp.route(route="jobs/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@server_span("GET", "jobs/{id}")
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
@server_span("POST", "jobs/{id}/retry")
@api_errors()
def retry_job(req: func.HttpRequest) -> func.HttpResponse:
    """Re-enqueue a failed job, or send again the message of a job stalled in ``queued``."""
    from azure.core.exceptions import AzureError

    require_caller(req, ADMIN_ROLE)
    job_id = _job_id(req)
    store = storage.job_store()
    found = store.get(job_id)
    if found is None:
        raise NotFound(NO_SUCH_JOB, target="id")
    outbox = storage.outbox()
    if found[0].status == QUEUED:
        from shared.jobs import recently_resent, resend_stalled

        window = get_settings().outbox_resend_after
        current, sent = resend_stalled(store, outbox, job_id, window=window)
        if sent:
            logger.info("job %s was stalled in queued; its message was sent again", job_id)
        if current is not None and (sent or recently_resent(current, window=window)):
            return _accepted(current)  # sent now, or by another asker within the window

    failed: list[JobRecord] = []

    def requeue(record: JobRecord) -> JobRecord | None:
        if record.status != FAILED:
            return None
        failed.append(record)
        return record.evolve(status=QUEUED, reason=None, last_error=None, attempts=0)

    outbox.hold(job_id)  # a crash between the state change and the message is finished later
    # An error here may hide a write that happened: the marker stays, for the outbox.
    record = store.update(job_id, requeue)
    if record is None or not failed:
        outbox.release(job_id)
        if record is None:
            raise NotFound(NO_SUCH_JOB, target="id")
        raise Conflict(
            "only a failed job, or one stalled in queued, can be retried",
            code="not_failed",
            target="id",
        )
    try:
        outbox.send(job_id, traceparent=record.traceparent)
    except AzureError:
        if _restore_failed(store, failed[-1]):
            outbox.release(job_id)
        raise
    outbox.release_or_keep(job_id)
    logger.info("job %s re-enqueued", job_id)
    return _accepted(record)


def _restore_failed(store: JobStore, before: JobRecord) -> bool:
    """Put a job back to ``failed`` when its retry could not be enqueued, so it can be
    retried again rather than sit ``queued`` with no message. False when that failed too
    (its outbox marker then stays, and the reconciler sends the message)."""
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
        return False
    return True
