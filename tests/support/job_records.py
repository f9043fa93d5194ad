"""Jobs as a request cut off by a crash leaves them, written straight to a stack's storage.

The recovery tests (a host killed mid-work, a stalled job sent again, the outbox's
reconciler) each start from the record the API would have written, with a later step of
its sequence missing; this builds that record, and the stack's job store as the app
builds it.
"""

from __future__ import annotations

import uuid
from typing import Any

from devstack.runner import RunningStack
from devstack.tokens import DEV_CALLER_OBJECT_ID
from shared.jobs import QUEUED, JobRecord, JobStore, now, request_hash

#: The analysis a queued job carries for a text with no language in it.
NEUTRAL: dict[str, Any] = {"language": None, "sentiment": "neutral"}


def job_record(
    text: str,
    *,
    owner: str = DEV_CALLER_OBJECT_ID,
    status: str = QUEUED,
    analysis: dict[str, Any] | None = None,
    at: str | None = None,
) -> JobRecord:
    """A job of ``text`` (with a suffix of its own, so the session's jobs stay apart) as the
    API writes it; ``at``, when given, is when it was created and last updated."""
    body = {"text": f"{text} {uuid.uuid4().hex[:8]}"}
    stamp = at or now()
    return JobRecord(
        id=str(uuid.uuid4()),
        owner=owner,
        status=status,
        input=body,
        request_hash=request_hash(body),
        created=stamp,
        updated=stamp,
        analysis=analysis,
    )


def job_store(stack: RunningStack) -> JobStore:
    """The stack's job store: its ``jobs`` and ``results`` containers."""
    blobs = stack.blob_service()
    return JobStore(
        jobs=blobs.get_container_client("jobs"), results=blobs.get_container_client("results")
    )
