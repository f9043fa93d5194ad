"""Jobs as the pipeline keeps them: the record, its store in Blob Storage, the queue message
that names it, and the outbox that gets every accepted job to the queue.

The record (``_model``), the message (``_messages``) and the exceptions are plain data,
importable without the Storage SDK, so the HTTP functions are indexed without loading it;
the store (``_store``) and the outbox (``_outbox``) load azure-core when first used.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.jobs._messages import MAX_MESSAGE_BYTES, SCHEMA, JobMessage, decode_message
from shared.jobs._model import (
    COMPLETED,
    FAILED,
    PROCESSING,
    QUEUED,
    IdempotencyRecord,
    JobRecord,
    now,
    request_hash,
    seconds_since,
)
from shared.jobs.errors import JobsError, JobStoreError, MessageSchemaError

if TYPE_CHECKING:
    from shared.jobs._outbox import (
        ABANDON_FACTOR,
        OUTBOX_PREFIX,
        Outbox,
        Pending,
        recently_resent,
        reconcile,
        resend_stalled,
    )
    from shared.jobs._store import JobStore

__all__ = [
    "ABANDON_FACTOR",
    "COMPLETED",
    "FAILED",
    "MAX_MESSAGE_BYTES",
    "OUTBOX_PREFIX",
    "PROCESSING",
    "QUEUED",
    "SCHEMA",
    "IdempotencyRecord",
    "JobMessage",
    "JobRecord",
    "JobStore",
    "JobStoreError",
    "JobsError",
    "MessageSchemaError",
    "Outbox",
    "Pending",
    "decode_message",
    "now",
    "recently_resent",
    "reconcile",
    "request_hash",
    "resend_stalled",
    "seconds_since",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            "JobStore": "._store",
            **dict.fromkeys(
                (
                    "ABANDON_FACTOR",
                    "OUTBOX_PREFIX",
                    "Outbox",
                    "Pending",
                    "recently_resent",
                    "reconcile",
                    "resend_stalled",
                ),
                "._outbox",
            ),
        },
    )
