"""Queue triggers with the Storage Queues extension's semantics (docs/devstack.md).

One listener thread per queue-triggered function: receive ``batchSize`` messages
with a 10-minute visibility timeout, the lease (renewed at half of it while a function
runs, :mod:`devstack.host.leases`; ``DEVSTACK_QUEUE_LEASE_SECONDS`` shortens it for
rehearsals), run them concurrently, and fetch another full batch once in-flight work falls
to ``newBatchThreshold``: at most ``batchSize + newBatchThreshold`` messages run at once
per function, as in the extension (QueueListener.cs: ``GetMessageReceiveCount`` asks for
``BatchSize``, ``WaitForNewBatchThreshold`` waits while more than ``NewBatchThreshold``
run). Success deletes the message; failure makes it visible again after
``visibilityTimeout``, and once ``dequeue_count`` reaches ``maxDequeueCount`` the message
is copied, unchanged, to ``<queue>-poison``. A message that is not valid base64 is poisoned
without running the function. Settling a message is retried through a storage outage (see
:meth:`QueueListener._settle`). An empty queue backs the listener off up to
``maxPollingInterval``; a message the host's own output binding writes wakes it at once
(:mod:`devstack.host.queuewatcher`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.functions.meta import Datum
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient

from devstack.host.bindings.connections import (
    RETRY_OPTIONS,
    ConnectionSettingError,
    connection_name,
    service_uri,
)
from devstack.host.bindings.expressions import BindingData
from devstack.host.config import QueueOptions
from devstack.host.functions import IndexedFunction
from devstack.host.invocation import Invoker, TriggerValue, utc_text
from devstack.host.leases import Leases
from devstack.host.queuewatcher import QueueWatcher

logger = logging.getLogger("devstack.host")

MIN_POLL_SECONDS = 0.1
MAX_MESSAGES_PER_GET = 32  # Get Messages' numofmessages ceiling
#: Settling a message (delete, release, poison) is retried through a storage outage for up
#: to half its lease, so a short outage does not strand it for the whole lease.
SETTLE_MAX_BACKOFF_SECONDS = 5.0
__all__ = ["ConnectionSettingError", "QueueListener", "manual_trigger", "queue_service_uri"]


def queue_service_uri(connection: str, environ: dict[str, str] | None = None) -> str:
    """``<CONN>__queueServiceUri`` wins over ``<CONN>__serviceUri``, as in the host."""
    return service_uri(connection, "queue", os.environ if environ is None else environ)


def _text(body: bytes) -> Datum:
    """The message as the host passes it: text when it is UTF-8, else bytes."""
    try:
        return Datum(body.decode("utf-8"), "string")
    except UnicodeDecodeError:
        return Datum(body, "bytes")


def trigger_value(
    function: IndexedFunction,
    body: bytes,
    *,
    message_id: str | None,
    dequeue_count: int,
    inserted: Any = None,
    expires: Any = None,
    next_visible: Any = None,
    pop_receipt: str | None = None,
) -> TriggerValue:
    """A queue message as trigger data: the body, its metadata and, for other bindings'
    expressions, the message's fields and (overriding them, as the extension does) the
    top-level properties of a JSON message."""
    value = _text(body)
    text = value.value if value.type == "string" else body.decode("utf-8", errors="replace")
    fields: dict[str, Any] = {
        "QueueTrigger": text,
        "DequeueCount": dequeue_count,
        "Id": message_id,
        "InsertionTime": utc_text(inserted),
        "ExpirationTime": utc_text(expires),
        "NextVisibleTime": utc_text(next_visible),
        "PopReceipt": pop_receipt,
    }
    metadata = {
        key: Datum(item, "int" if isinstance(item, int) else "string")
        for key, item in fields.items()
        if item is not None
    }
    data = BindingData(method_name=function.name)
    for key, item in fields.items():
        if item is not None:
            data[key] = item
    with contextlib.suppress(ValueError, RecursionError):  # JSON properties win over these
        data.update_from_json(json.loads(text))
    return TriggerValue(datum=value, metadata=metadata, binding_data=data)


def manual_trigger(function: IndexedFunction, text: str) -> TriggerValue:
    """``POST /admin/functions/{name}``: the input is the message text."""
    return trigger_value(function, text.encode("utf-8"), message_id=None, dequeue_count=0)


class QueueListener:
    """Polls one queue and dispatches its messages to one function."""

    def __init__(
        self,
        *,
        function: IndexedFunction,
        credential: TokenCredential | None,
        options: QueueOptions,
        invoker: Invoker,
        environ: dict[str, str] | None = None,
        watcher: QueueWatcher | None = None,
        service: QueueServiceClient | None = None,
    ) -> None:
        binding = function.trigger_binding
        self.function = function
        self.queue_name: str = str(binding.setting("queueName")).lower()
        self.options = options
        self.invoker = invoker
        if service is None:
            service = QueueServiceClient(
                queue_service_uri(connection_name(binding), environ), credential, **RETRY_OPTIONS
            )
        self.queue: QueueClient = service.get_queue_client(self.queue_name)
        self.poison: QueueClient = service.get_queue_client(f"{self.queue_name}-poison")
        self._watcher = watcher
        if watcher is not None:
            watcher.register(self.queue_name, self)
        self._pool = ThreadPoolExecutor(
            max_workers=options.batch_size + options.new_batch_threshold,
            thread_name_prefix=f"queue-{self.queue_name}",
        )
        self._in_flight = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by notify(): a message was just written
        self._thread = threading.Thread(
            target=self._run, name=f"listener-{self.queue_name}", daemon=True
        )
        self._rng = random.Random()
        self._leases = Leases(self.queue, options.lease_seconds, self._stop)

    def start(self) -> None:
        self._leases.start()
        self._thread.start()

    def notify(self) -> None:
        """End the back-off now: this host just put a message on the queue."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            self._lock.notify_all()
        self._thread.join(timeout)
        self._leases.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- polling ------------------------------------------------------------

    def _run(self) -> None:
        delay = MIN_POLL_SECONDS
        while not self._stop.is_set():
            with self._lock:
                while (
                    self._in_flight > self.options.new_batch_threshold and not self._stop.is_set()
                ):
                    self._lock.wait(0.5)
            self._wake.clear()  # a notify from here on ends the back-off that may follow
            try:
                messages = self._receive_batch(self.options.batch_size)
            except ResourceNotFoundError:
                messages = []
                logger.debug("queue %s does not exist yet; backing off", self.queue_name)
            except (AzureError, OSError) as exc:  # OSError: the CA bundle went away, say
                messages = []
                logger.warning(
                    "queue %s: receive failed (%s); backing off",
                    self.queue_name,
                    type(exc).__name__,
                )
            if messages:
                delay = MIN_POLL_SECONDS
                for message in messages:
                    self._dispatch(message)
                continue
            # Randomised exponential back-off, as the host's polling strategy does; a
            # message this host writes to the queue ends it (notify).
            delay = min(self.options.max_polling_interval, delay * 2)
            if self._wake.wait(self._rng.uniform(delay / 2, delay)):
                delay = MIN_POLL_SECONDS

    def _receive_batch(self, count: int) -> list[QueueMessage]:
        """One Get Messages call for up to ``count`` messages, as the extension makes one per
        batch (its ``QueuesOptions.BatchSize``); ``receive_messages`` alone asks one message
        per call, then once more to find the queue empty."""
        pages = self.queue.receive_messages(
            messages_per_page=min(count, MAX_MESSAGES_PER_GET),
            visibility_timeout=int(self.options.lease_seconds),
        ).by_page()
        return list(next(pages, []))

    def _dispatch(self, message: QueueMessage) -> None:
        with self._lock:
            self._in_flight += 1
        future: Future[None] = self._pool.submit(self._process, message)
        future.add_done_callback(self._done)

    def _done(self, _: Future[None]) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    # -- one message --------------------------------------------------------

    def _process(self, message: QueueMessage) -> None:
        try:
            self._handle(message)
        except Exception:
            logger.exception(
                "queue %s: message %s could not be settled", self.queue_name, message.id
            )

    def _decode(self, content: Any) -> bytes | None:
        text = content if isinstance(content, str) else bytes(content).decode("utf-8")
        if self.options.message_encoding == "none":
            return text.encode("utf-8")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None

    def _handle(self, message: QueueMessage) -> None:
        maximum = self.options.max_dequeue_count
        body = self._decode(message.content)
        dequeue_count = message.dequeue_count or 1
        if body is None or dequeue_count > maximum:
            self._poison(message)
            return
        lease = self._leases.hold(message)
        try:
            self.invoker.run(
                self.function,
                trigger_value(
                    self.function,
                    body,
                    message_id=message.id,
                    dequeue_count=dequeue_count,
                    inserted=message.inserted_on,
                    expires=message.expires_on,
                    next_visible=message.next_visible_on,
                    pop_receipt=lease.pop_receipt,
                ),
                reason=f"New queue message detected on '{self.queue_name}'.",
            )
        except Exception:
            pop_receipt = self._leases.release(lease)
            if dequeue_count >= maximum:
                self._poison(message, pop_receipt=pop_receipt)
            else:
                self._settle(
                    "release",
                    message,
                    lambda: self.queue.update_message(
                        message.id,
                        pop_receipt=pop_receipt,
                        visibility_timeout=int(self.options.visibility_timeout),
                    ),
                )
            return
        pop_receipt = self._leases.release(lease)
        self._settle("delete", message, lambda: self.queue.delete_message(message.id, pop_receipt))

    def _poison(self, message: QueueMessage, *, pop_receipt: str | None = None) -> None:
        logger.warning(
            "Message has reached MaxDequeueCount of %d. Moving message to queue '%s-poison'.",
            self.options.max_dequeue_count,
            self.queue_name,
        )

        def create_poison_queue() -> None:
            with contextlib.suppress(ResourceExistsError):
                self.poison.create_queue()

        self._settle("create poison queue", message, create_poison_queue)
        self._settle("poison", message, lambda: self.poison.send_message(message.content))
        if self._watcher is not None:
            self._watcher.notify(self.poison.queue_name)
        self._settle(
            "delete",
            message,
            lambda: self.queue.delete_message(message.id, pop_receipt or message.pop_receipt),
        )

    def _settle(self, what: str, message: QueueMessage, step: Callable[[], object]) -> None:
        """Run one settling step, retrying transient storage failures with back-off.

        A definite answer (the message is gone, its pop receipt is stale) ends it: the
        message will come back after its visibility timeout, as in the host.
        """
        deadline = time.monotonic() + self.options.lease_seconds / 2
        delay = 0.5
        while True:
            try:
                step()
                return
            except (ServiceRequestError, ServiceResponseError, HttpResponseError) as exc:
                status = getattr(exc, "status_code", None)
                transient = status is None or status >= 500 or status in (408, 429)
                if not transient or time.monotonic() > deadline or self._stop.is_set():
                    raise
                logger.warning(
                    "queue %s: %s of message %s failed (%s); retrying",
                    self.queue_name,
                    what,
                    message.id,
                    type(exc).__name__,
                )
            self._stop.wait(self._rng.uniform(delay / 2, delay))
            delay = min(SETTLE_MAX_BACKOFF_SECONDS, delay * 2)
