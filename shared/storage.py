"""Blob and Queue clients for the app, built lazily: the one place a Storage client is built.

One client per service (and per container and queue) per process, built on
first use and reused across invocations (clients pool their connections; two
callers racing on the first use may build one each, and one is dropped). The
queue client encodes what it sends as the jobs app's host decodes it
(:data:`shared.queues.JOBS_ENCODING`, base64): azure-storage-queue sends raw text
unless told otherwise, and a message the host cannot decode goes straight to the
poison queue.

Retries are bounded tighter than the SDK's default (three retries 15 s and more apart,
over a minute before an outage surfaces): three retries about 2, 4 and 8 s apart, so a
storage blip of a few seconds is ridden out and a longer outage answers 503 within ~15 s
instead of holding an HTTP request for minutes. The rotation's state container, read and
written with an identity of its own, gets the same retries (:func:`container_at`).

Every client reads the environment's proxies and CA bundle once, when built, rather than on
each request (:mod:`shared.httpenv`: a millisecond per request with a large environment).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the Storage SDKs are imported on first use, not at indexing
    from azure.core.credentials import TokenCredential
    from azure.storage.blob import BlobServiceClient, ContainerClient
    from azure.storage.queue import QueueClient, QueueServiceClient

    from shared.jobs import JobStore, Outbox

from shared.httpenv import azure_client_keywords
from shared.identity import get_credential
from shared.queues import JOBS_ENCODING, poison_queue
from shared.settings import get_settings

JOBS_QUEUE = "jobs"
POISON_QUEUE = poison_queue(JOBS_QUEUE)
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


@functools.cache
def blob_service() -> BlobServiceClient:
    from azure.storage.blob import BlobServiceClient

    uri = get_settings().jobs_blob_service_uri
    return BlobServiceClient(uri, get_credential(), **RETRY_OPTIONS, **azure_client_keywords(uri))


@functools.cache
def queue_service() -> QueueServiceClient:
    from azure.storage.queue import QueueServiceClient

    uri = get_settings().jobs_queue_service_uri
    return QueueServiceClient(uri, get_credential(), **RETRY_OPTIONS, **azure_client_keywords(uri))


@functools.cache
def container(name: str) -> ContainerClient:
    """One client per container, shared by every invocation (clients are thread-safe; building
    two per request cost more than a quarter of a millisecond)."""
    return blob_service().get_container_client(name)


@functools.cache
def queue(name: str = JOBS_QUEUE) -> QueueClient:
    """A queue client that speaks the jobs app's encoding both ways (one per queue)."""
    from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy

    if JOBS_ENCODING == "none":  # azure-storage-queue's own default: the text as it is
        return queue_service().get_queue_client(name)
    return queue_service().get_queue_client(
        name,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )


def container_at(url: str, *, credential: TokenCredential) -> ContainerClient:
    """A client for the container at ``url``, read with ``credential`` rather than the app's
    (the rotation's own identity; the posture checker's), with the same retries."""
    from azure.storage.blob import ContainerClient

    return ContainerClient.from_container_url(
        url, credential=credential, **RETRY_OPTIONS, **azure_client_keywords(url)
    )


def job_store() -> JobStore:
    """A store over the jobs and results containers: one per request or message, since it
    remembers the versions it read (the clients under it are shared)."""
    from shared.jobs import JobStore

    return JobStore(jobs=container(JOBS_CONTAINER), results=container(RESULTS_CONTAINER))


def outbox() -> Outbox:
    """The outbox: job markers in the jobs container, messages to the jobs queue."""
    from shared.jobs import Outbox

    return Outbox(jobs=container(JOBS_CONTAINER), queue=queue())


def reset_clients() -> None:
    """Forget the clients (tests; a settings change)."""
    for factory in (queue, container, queue_service, blob_service):
        factory.cache_clear()
