"""The outbox: an accepted job reaches the queue at least once, whatever crashes on the way.

Blob Storage and Queue Storage share no transaction, so "write the job, then enqueue it"
has a window: an instance that dies between the two (a recycle, a scale-in, a deploy, a
``kill -9``) leaves a ``queued`` job that no message will ever pick up. A new job closes
it by going the other way: its message, carrying the job, is sent first, and the worker
writes the state if the request did not live to (:mod:`shared.jobs._messages`). Where the
state must come first (a failed job set back to ``queued`` by a retry, or a job too large
for a message), the outbox closes it with one small blob per job in flight:

1. before the job's state is written (or a failed job is set back to ``queued``), a
   marker ``outbox/<job id>.json`` is written;
2. the state is written and the message sent;
3. the marker is deleted.

A marker that stays behind means the sequence was cut somewhere. The reconciler (a timer:
one instance runs it at a time, and two would only send a message twice) lists the
markers older than ``resend_after`` seconds and, for each: sends the message again if the
job is still ``queued``; deletes the marker if the job has moved on; and deletes a marker
whose job was never written once it is ``ABANDON_FACTOR`` times that old (the request died
before it answered, so no caller holds a 202 for it). Sending twice is safe: the worker is
idempotent (a settled job ignores its message; state changes are ETag-conditional; the
result is written once), so the outbox may err on the side of sending.

Only jobs in flight and jobs cut off leave markers, so the listing stays short however
many jobs the store holds. The same age decides when a claimed Idempotency-Key whose job
never appeared may be taken over (:mod:`blueprints.jobs`).

A job that sits ``queued`` longer than that with no marker (its message lost after it was
sent) is sent again when its owner replays its Idempotency-Key or an admin retries it, and
the reconciler's resends go the same way: :func:`resend_stalled` records the resend on the
job first, with an ``If-Match`` write, and only the asker whose write lands sends. However
many ask at once (30 replays, 10 retries, the timer), the queue gets one message per
window; the write also moves ``updated``, which starts the next window.

Every send is a ``send jobs`` producer span whose context the message carries; a message
sent again (the reconciler, a replay, a retry) continues the job's trace (its record keeps
the ``traceparent`` of the request that accepted it), linked to whatever sent it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from azure.core.exceptions import AzureError, ResourceNotFoundError

from shared.jobs._messages import JobMessage
from shared.jobs._model import QUEUED, JobRecord, now, seconds_since
from shared.tracing import span, traced

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient
    from azure.storage.queue import QueueClient

    from shared.jobs._store import JobStore

__all__ = [
    "ABANDON_FACTOR",
    "OUTBOX_PREFIX",
    "Outbox",
    "Pending",
    "recently_resent",
    "reconcile",
    "resend_stalled",
]

OUTBOX_PREFIX = "outbox/"
#: A marker whose job was never written is dropped once this many times ``resend_after`` old.
ABANDON_FACTOR = 10

_LOG = logging.getLogger("shared.jobs")  # the package, whose modules are private
#: ``messaging.system`` of the send spans: the conventions list no value for Queue Storage.
MESSAGING_SYSTEM = "azure_queue_storage"


@dataclass(frozen=True, slots=True)
class Pending:
    """A marker left behind: which job, and how old the marker is (seconds)."""

    job_id: str
    age: float


class Outbox:
    """The markers (in the jobs container) and the queue the jobs go to."""

    def __init__(self, *, jobs: ContainerClient, queue: QueueClient) -> None:
        self._jobs = jobs
        self._queue = queue

    @traced("outbox hold", job="job_id")
    def hold(self, job_id: str) -> None:
        """Write the job's marker: from now on a cut-off sequence is found and finished."""
        self._jobs.upload_blob(_marker(job_id), b"{}", overwrite=True)

    def send(
        self, job_id: str, *, job: JobRecord | None = None, traceparent: str | None = None
    ) -> None:
        """Put the job's message on the queue (base64, as the trigger expects); with ``job``,
        a new job's message, which carries it.

        :keyword traceparent: the job's trace, to continue (else the one in progress).
        :raises MessageSchemaError: the job is too large to carry (nothing was sent).
        """
        attributes = {
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": self._queue.queue_name,
            "app.job.id": job_id,
        }
        with span(
            f"send {self._queue.queue_name}",
            kind="producer",
            attributes=attributes,
            parent=traceparent,
        ) as sending:
            message = JobMessage(job_id, job=job, traceparent=sending.traceparent)
            self._queue.send_message(message.encode())

    @traced("outbox release", job="job_id")
    def release(self, job_id: str) -> None:
        """Delete the job's marker (already gone is fine)."""
        with contextlib.suppress(ResourceNotFoundError):
            self._jobs.delete_blob(_marker(job_id))

    def dispatch(self, job_id: str) -> None:
        """Send the message of a job whose state is written, then drop its marker. The job
        is accepted already: a failure of either leaves the marker, and the reconciler
        finishes the sequence (logged, never raised)."""
        try:
            self.send(job_id)
        except AzureError as exc:
            name = type(exc).__name__
            _LOG.warning(
                "job %s: enqueue not confirmed (%s); the outbox will send it", job_id, name
            )
            return
        self.release_or_keep(job_id)

    def release_or_keep(self, job_id: str) -> None:
        """Drop the job's marker, or, when that fails, leave it for the reconciler to drop."""
        try:
            self.release(job_id)
        except AzureError:
            _LOG.warning("job %s: its outbox marker stays until the reconciler drops it", job_id)

    def pending(self, *, at: dt.datetime | None = None) -> list[Pending]:
        """Every marker and its age, oldest first."""
        now = at or dt.datetime.now(dt.UTC)
        found = []
        for blob in self._jobs.list_blobs(name_starts_with=OUTBOX_PREFIX):
            job_id = blob.name.removeprefix(OUTBOX_PREFIX).removesuffix(".json")
            modified = blob.last_modified
            age = (now - modified).total_seconds() if modified is not None else float("inf")
            found.append(Pending(job_id, age))
        return sorted(found, key=lambda p: -p.age)


def _marker(job_id: str) -> str:
    return f"{OUTBOX_PREFIX}{job_id}.json"


def resend_stalled(
    store: JobStore,
    outbox: Outbox,
    job_id: str,
    *,
    window: float,
    at: dt.datetime | None = None,
) -> tuple[JobRecord | None, bool]:
    """Send the message of a job stalled in ``queued`` again, at most once per ``window``.

    Stalled means ``queued`` and unchanged for ``window`` seconds (a resend changes it). The
    resend is written on the job (``resent``, ``If-Match`` on its ETag) before the message
    goes: of concurrent askers exactly one write lands, and only that asker sends. A send
    that fails after its write raises; the job then waits one more window for the next
    asker (the reconciler, at the latest, if a marker is left). Returns the job as stored
    after the attempt (None when there is none) and whether this call sent the message.
    """
    decided: list[JobRecord] = []
    # Stamped on the clock the window is judged by (``at`` reads the outbox "later" in tests).
    stamp = now() if at is None else at.isoformat(timespec="milliseconds")

    def mark(record: JobRecord) -> JobRecord | None:
        decided.clear()  # the last call decides: a refused write is retried on a fresh read
        if record.status != QUEUED or seconds_since(record.updated, at) < window:
            return None
        decided.append(record._replace(updated=stamp, resent=stamp))
        return decided[-1]

    record = store.update(job_id, mark)
    if not decided:
        return record, False
    outbox.send(job_id, traceparent=decided[-1].traceparent)
    return record, True


def recently_resent(record: JobRecord, *, window: float, at: dt.datetime | None = None) -> bool:
    """Whether the job's message was sent again less than ``window`` seconds ago."""
    return record.resent is not None and seconds_since(record.resent, at) < window


@traced("outbox reconcile")
def reconcile(
    store: JobStore, outbox: Outbox, *, resend_after: float, at: dt.datetime | None = None
) -> Counter[str]:
    """Finish every cut-off sequence whose marker is older than ``resend_after`` seconds.

    Returns what was done, counted: ``resent`` (a queued job's message sent again),
    ``settled`` (the job had moved on; marker dropped), ``abandoned`` (no job was ever
    written; marker dropped), ``young`` and ``unwritten`` (left for a later run).
    """
    done: Counter[str] = Counter()
    for pending in outbox.pending(at=at):
        if pending.age < resend_after:
            done["young"] += 1
            continue
        found = store.get(pending.job_id)
        if found is None:
            if pending.age < resend_after * ABANDON_FACTOR:
                done["unwritten"] += 1
                continue
            outbox.release(pending.job_id)
            done["abandoned"] += 1
            continue
        if found[0].status == QUEUED:
            record, sent = resend_stalled(store, outbox, pending.job_id, window=resend_after, at=at)
            if sent:
                _LOG.warning("job %s was cut off before its message was sent; sent", pending.job_id)
                done["resent"] += 1
            elif (
                record is not None
                and record.status == QUEUED
                and not recently_resent(record, window=resend_after, at=at)
            ):
                done["young"] += 1  # the job is younger than its marker: the next run sends
                continue
            else:  # sent again by another asker within the window, or moved on meanwhile
                done["settled"] += 1
        else:
            done["settled"] += 1
        outbox.release(pending.job_id)
    return done
