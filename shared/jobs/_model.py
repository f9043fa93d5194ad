"""A job's state and the idempotency claim, as stored: plain data, no SDK.

Kept apart from :mod:`shared.jobs._store` so the HTTP functions can build and
read records without importing the Storage SDK at indexing time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, NamedTuple

QUEUED, PROCESSING, COMPLETED, FAILED = "queued", "processing", "completed", "failed"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def request_hash(body: dict[str, Any]) -> str:
    """A stable digest of a request body, to tell a replay from a different request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class JobRecord(NamedTuple):
    """A job's state. A named tuple, not a frozen dataclass: the app imports it at start-up,
    where the dataclass cost 1.8 ms and the named tuple 0.4 (P1 in docs/performance.md).
    Whoever makes a new record stamps ``created`` and ``updated`` (:func:`now`)."""

    id: str
    owner: str
    status: str
    input: dict[str, Any]
    request_hash: str
    created: str
    updated: str
    analysis: dict[str, Any] | None = None
    result: str | None = None
    reason: str | None = None
    attempts: int = 0
    last_error: str | None = None
    #: The W3C ``traceparent`` of the request that accepted the job: a message sent again
    #: later (the outbox, a replay, a retry) continues the job's trace from here.
    traceparent: str | None = None
    #: When the job's message was last sent again while it sat ``queued`` (ISO 8601): one
    #: resend per window, whoever asks (:func:`shared.jobs.resend_stalled`).
    resent: str | None = None

    def public(self) -> dict[str, Any]:
        """What the API shows the job's owner: no owner id, no internal error detail."""
        view: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
        }
        if self.status == FAILED:
            view["reason"] = self.reason
        return view

    def evolve(self, **changes: Any) -> JobRecord:
        return self._replace(updated=now(), **changes)


class IdempotencyRecord(NamedTuple):
    """A caller's Idempotency-Key, claimed for one job before the partner is called.

    ``claimed`` is when (ISO 8601); a claim whose job never appeared is taken over once it
    is old enough (see :mod:`shared.jobs._outbox`). Claims written before it existed have
    none and count as old.
    """

    job_id: str
    request_hash: str
    claimed: str | None = None

    def age(self, at: dt.datetime | None = None) -> float:
        """Seconds since the claim (infinite when it does not say)."""
        return seconds_since(self.claimed, at)


def seconds_since(stamp: str | None, at: dt.datetime | None = None) -> float:
    """Seconds from an ISO 8601 time written by :func:`now` to ``at`` (default: now);
    infinite for a missing or unreadable one, so it counts as old."""
    if not stamp:
        return float("inf")
    try:
        then = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return float("inf")
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    return ((at or dt.datetime.now(dt.UTC)) - then).total_seconds()
