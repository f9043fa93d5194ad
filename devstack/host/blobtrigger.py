"""Blob triggers: container scans with receipts, retries and a poison queue, as the
Storage Blobs extension runs them with its standard (polling) source.

Each blob version (name + ETag) whose name fits the trigger's path runs once: a
*receipt* blob in the host's storage (``azure-webjobs-hosts/blobreceipts/<host id>/
Host.Functions.<name>/<etag>/<container>/<blob>``) records it, so a restart does not run
it again, while a new version (a new ETag) runs again. Blobs that already exist without
a receipt run when the host starts, as in Azure. A failed run is retried after the queues'
``visibilityTimeout``; after ``maxDequeueCount`` attempts the host writes the blob's
trigger message to the ``webjobs-blobtrigger-poison`` queue of the trigger's storage
account and stops trying that version.

Containers are scanned every 10 seconds, as the extension polls; a blob written by one
of this host's own output bindings is noticed at once (the extension has the same fast
path). ``DEVSTACK_BLOB_SCAN_SECONDS`` (1-60, devstack only) changes the interval.

``source="EventGrid"`` triggers run the same way locally. In Azure they are fed by an
Event Grid subscription instead of scans: only blobs created after the subscription
exist run, without receipts (see docs/devstack.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.functions.meta import Datum

from devstack.host.bindings import blob, queue
from devstack.host.bindings.connections import DEFAULT_CONNECTION, StorageClients, connection_name
from devstack.host.bindings.expressions import BindingData
from devstack.host.config import QueueOptions
from devstack.host.functions import IndexedFunction
from devstack.host.invocation import Invoker, TriggerValue

logger = logging.getLogger("devstack.host")

RECEIPTS_CONTAINER = "azure-webjobs-hosts"
POISON_QUEUE = "webjobs-blobtrigger-poison"
SCAN_SETTING = "DEVSTACK_BLOB_SCAN_SECONDS"
DEFAULT_SCAN_SECONDS = 10.0
COMPLETE = "Complete"
INCOMPLETE = "Incomplete"


class ScanIntervalError(ValueError):
    """``DEVSTACK_BLOB_SCAN_SECONDS`` is not a number of seconds from 1 to 60."""


def scan_interval(environ: Mapping[str, str]) -> float:
    raw = environ.get(SCAN_SETTING)
    if raw is None:
        return DEFAULT_SCAN_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 1.0 <= seconds <= 60.0:
        raise ScanIntervalError(f"{SCAN_SETTING} must be a number of seconds from 1 to 60")
    return seconds


def function_id(function: IndexedFunction) -> str:
    return f"Host.Functions.{function.name}"


def trigger_value(
    function: IndexedFunction,
    *,
    container: str,
    name: str,
    url: str,
    properties: Any,
    content: bytes,
    params: Mapping[str, str],
) -> TriggerValue:
    binding = function.trigger_binding
    value = (
        Datum(content.decode("utf-8"), "string")
        if binding.data_type == "string"
        else Datum(content, "bytes")
    )
    metadata = blob.trigger_metadata(
        container=container, name=name, url=url, properties=properties, params=params
    )
    data = BindingData(method_name=function.name)
    data["BlobTrigger"] = f"{container}/{name}"
    data["Uri"] = url
    data["Properties"] = blob.properties_json(properties)
    data["Metadata"] = dict(properties.metadata or {})
    for key, item in params.items():
        data[key] = item
    return TriggerValue(datum=value, metadata=metadata, binding_data=data)


def _reason(container: str, name: str) -> str:
    return f"New blob detected(LogsAndContainerScan): {container}/{name}"


class BlobTriggerListener:
    """Scans one container for one function."""

    def __init__(
        self,
        *,
        function: IndexedFunction,
        clients: StorageClients,
        host_id: str,
        options: QueueOptions,
        invoker: Invoker,
        interval: float = DEFAULT_SCAN_SECONDS,
    ) -> None:
        binding = function.trigger_binding
        self.function = function
        self.pattern = blob.BlobPattern.parse(str(binding.setting("path")))
        self.connection = connection_name(binding)
        self.blobs = clients.blob(self.connection)
        self.poison = clients.queue(self.connection).get_queue_client(POISON_QUEUE)
        self.receipts = clients.blob(DEFAULT_CONNECTION).get_container_client(RECEIPTS_CONTAINER)
        self.host_id = host_id
        self.options = options
        self.invoker = invoker
        self.interval = interval
        self._done: set[tuple[str, str]] = set()
        self._busy: set[tuple[str, str]] = set()
        self._retry_at: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(
            max_workers=options.batch_size, thread_name_prefix=f"blob-{function.name}"
        )
        self._thread = threading.Thread(
            target=self._run, name=f"blob-scan-{function.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def notify(self, connection: str, container: str, name: str) -> None:
        """A blob output binding of this host wrote a blob: look now, not at the next scan."""
        if container == self.pattern.container and self.pattern.match(name) is not None:
            self._wake.set()

    # -- scanning -----------------------------------------------------------

    def _run(self) -> None:
        rng = random.Random()
        while not self._stop.is_set():
            try:
                self._scan()
            except ResourceNotFoundError:
                logger.debug("container %s does not exist yet", self.pattern.container)
            except AzureError as exc:
                logger.warning(
                    "blob trigger %s: scan failed (%s)", self.function.name, type(exc).__name__
                )
            wait = self._next_wait()
            self._wake.wait(rng.uniform(wait * 0.9, wait) if wait > 1 else wait)
            self._wake.clear()

    def _next_wait(self) -> float:
        with self._lock:
            pending = [due for due in self._retry_at.values()]
        soonest = min(pending, default=None)
        if soonest is None:
            return self.interval
        return max(0.05, min(self.interval, soonest - time.monotonic()))

    def _scan(self) -> None:
        container = self.blobs.get_container_client(self.pattern.container)
        now = time.monotonic()
        for item in container.list_blobs(include=["metadata"]):
            params = self.pattern.match(item.name)
            if params is None:
                continue
            key = (item.name, str(item.etag).strip('"'))
            with self._lock:
                if key in self._done or key in self._busy or self._retry_at.get(key, 0) > now:
                    continue
                self._busy.add(key)
                self._retry_at.pop(key, None)
            self._pool.submit(self._process, key, params)

    # -- one blob version ---------------------------------------------------

    def _receipt(self, name: str, etag: str) -> Any:
        path = (
            f"blobreceipts/{self.host_id}/{function_id(self.function)}/{etag}/"
            f"{self.pattern.container}/{name}"
        )
        return self.receipts.get_blob_client(path)

    def _read_receipt(self, receipt: Any) -> dict[str, str] | None:
        try:
            return dict(receipt.get_blob_properties().metadata or {})
        except ResourceNotFoundError:
            return None

    def _write_receipt(self, receipt: Any, status: str, attempts: int) -> None:
        metadata = {"Status": status, "Attempts": str(attempts)}
        try:
            receipt.upload_blob(b"", overwrite=True, metadata=metadata)
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):
                self.receipts.create_container()
            receipt.upload_blob(b"", overwrite=True, metadata=metadata)

    def _process(self, key: tuple[str, str], params: dict[str, str]) -> None:
        name, etag = key
        try:
            self._handle(name, etag, params)
        except Exception:
            logger.exception("blob trigger %s: %s could not be processed", self.function.name, name)
            with self._lock:
                self._retry_at[key] = time.monotonic() + self.interval
        finally:
            with self._lock:
                self._busy.discard(key)

    def _handle(self, name: str, etag: str, params: dict[str, str]) -> None:
        key = (name, etag)
        receipt = self._receipt(name, etag)
        state = self._read_receipt(receipt)
        if state is not None and state.get("Status") == COMPLETE:
            with self._lock:
                self._done.add(key)
            return
        attempts = int((state or {}).get("Attempts", "0") or 0)
        client = self.blobs.get_blob_client(self.pattern.container, name)
        try:
            properties = client.get_blob_properties()
            if str(properties.etag).strip('"') != etag:
                return  # a newer version; the next scan sees it
            content = client.download_blob(
                etag=properties.etag, match_condition=MatchConditions.IfNotModified
            ).readall()
        except (ResourceNotFoundError, ResourceModifiedError):
            return
        if state is None:
            self._write_receipt(receipt, INCOMPLETE, attempts)
        value = trigger_value(
            self.function,
            container=self.pattern.container,
            name=name,
            url=client.url,
            properties=properties,
            content=content,
            params=params,
        )
        try:
            self.invoker.run(self.function, value, reason=_reason(self.pattern.container, name))
        except Exception:
            attempts += 1
            if attempts >= self.options.max_dequeue_count:
                self._to_poison(name, etag, properties)
                self._write_receipt(receipt, COMPLETE, attempts)
                with self._lock:
                    self._done.add(key)
            else:
                self._write_receipt(receipt, INCOMPLETE, attempts)
                with self._lock:
                    self._retry_at[key] = time.monotonic() + self.options.visibility_timeout
                self._wake.set()
            return
        self._write_receipt(receipt, COMPLETE, attempts + 1)
        with self._lock:
            self._done.add(key)

    def _to_poison(self, name: str, etag: str, properties: Any) -> None:
        logger.warning(
            "Message has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
            self.options.max_dequeue_count,
            POISON_QUEUE,
        )
        message = {
            "Type": "BlobTrigger",
            "FunctionId": function_id(self.function),
            "BlobType": "BlockBlob",
            "ContainerName": self.pattern.container,
            "BlobName": name,
            "ETag": str(properties.etag),
        }
        queue.send(
            self.poison,
            [json.dumps(message).encode("utf-8")],
            encoding=self.options.message_encoding,
        )


def manual_trigger_for(clients: StorageClients) -> Any:
    """``POST /admin/functions/{name}``: the input is the blob's ``container/name`` path."""

    def build(function: IndexedFunction, text: str) -> TriggerValue:
        container, name = blob.split_path(text)
        pattern = blob.BlobPattern.parse(str(function.trigger_binding.setting("path")))
        client = clients.blob(connection_name(function.trigger_binding)).get_blob_client(
            container, name
        )
        properties = client.get_blob_properties()
        return trigger_value(
            function,
            container=container,
            name=name,
            url=client.url,
            properties=properties,
            content=client.download_blob().readall(),
            params=pattern.match(name) or {} if container == pattern.container else {},
        )

    return build
