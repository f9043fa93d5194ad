"""Blob and Queue clients for the app, built lazily from the shared credential.

One client per service per process, reused across invocations (clients pool
their connections). The queue client base64-encodes what it sends
(``TextBase64EncodePolicy``) because the queue trigger expects base64 by
default; azure-storage-queue sends raw text unless told otherwise, and a raw
message would go straight to the poison queue.

Retries are bounded tighter than the SDK's default (three retries 15 s and more apart,
over a minute before an outage surfaces): three retries about 2, 4 and 8 s apart, so a
storage blip of a few seconds is ridden out and a longer outage answers 503 within ~15 s
instead of holding an HTTP request for minutes.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the Storage SDKs are imported on first use, not at indexing
    from azure.storage.blob import BlobServiceClient, ContainerClient
    from azure.storage.queue import QueueClient, QueueServiceClient

from shared.identity import get_credential
from shared.settings import get_settings

JOBS_QUEUE = "jobs"
POISON_QUEUE = "jobs-poison"
JOBS_CONTAINER = "jobs"
RESULTS_CONTAINER = "results"
POSTURE_CONTAINER = "posture"

#: Client keywords for the SDK's ``ExponentialRetry``: the wait before retry n is
#: ``initial_backoff + increment_base ** n``, +/- ``random_jitter_range`` seconds.
RETRY_OPTIONS: dict[str, Any] = {
    "retry_total": 3,
    "initial_backoff": 0,
    "increment_base": 2,
    "random_jitter_range": 1,
}

_lock = threading.Lock()
_blob: BlobServiceClient | None = None
_queue: QueueServiceClient | None = None
_containers: dict[str, ContainerClient] = {}
_queues: dict[str, QueueClient] = {}


def blob_service() -> BlobServiceClient:
    global _blob
    if _blob is None:
        with _lock:
            if _blob is None:
                from azure.storage.blob import BlobServiceClient

                _blob = BlobServiceClient(
                    get_settings().jobs_blob_service_uri,
                    get_credential(),
                    **RETRY_OPTIONS,
                )
    return _blob


def queue_service() -> QueueServiceClient:
    global _queue
    if _queue is None:
        with _lock:
            if _queue is None:
                from azure.storage.queue import QueueServiceClient

                _queue = QueueServiceClient(
                    get_settings().jobs_queue_service_uri,
                    get_credential(),
                    **RETRY_OPTIONS,
                )
    return _queue


def container(name: str) -> ContainerClient:
    """One client per container, shared by every invocation (clients are thread-safe; building
    two per request cost more than a quarter of a millisecond)."""
    client = _containers.get(name)
    if client is None:
        client = _containers.setdefault(name, blob_service().get_container_client(name))
    return client


def queue(name: str = JOBS_QUEUE) -> QueueClient:
    """A queue client that speaks the trigger's base64 encoding both ways (one per queue)."""
    client = _queues.get(name)
    if client is None:
        from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy

        client = _queues.setdefault(
            name,
            queue_service().get_queue_client(
                name,
                message_encode_policy=TextBase64EncodePolicy(),
                message_decode_policy=TextBase64DecodePolicy(),
            ),
        )
    return client


def reset_clients() -> None:
    """Forget the clients (tests; a settings change)."""
    global _blob, _queue
    with _lock:
        _blob = _queue = None
        _containers.clear()
        _queues.clear()
