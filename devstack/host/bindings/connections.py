"""Identity-based Storage connections, resolved from app settings as the host does.

A binding's ``connection`` names a prefix; ``<prefix>__blobServiceUri``,
``__queueServiceUri`` and ``__tableServiceUri`` (or ``__serviceUri``) give the service
endpoint and the app's credential signs the requests. An empty ``connection`` means
``AzureWebJobsStorage``. A connection string (a plain ``<prefix>`` setting) holds an
account key: the devstack host refuses it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from azure.core.credentials import TokenCredential

from devstack.host.bindings.model import BindingSpec

DEFAULT_CONNECTION = "AzureWebJobsStorage"
_SERVICE_KEY = {"blob": "blobServiceUri", "queue": "queueServiceUri", "table": "tableServiceUri"}
#: The client's own retries stay short: the host's callers retry or fail the invocation.
RETRY_OPTIONS: dict[str, Any] = {
    "retry_total": 2,
    "initial_backoff": 0,
    "increment_base": 2,
    "random_jitter_range": 1,
}


class ConnectionSettingError(RuntimeError):
    """A connection has no usable identity-based setting."""


def connection_name(spec: BindingSpec) -> str:
    return str(spec.setting("connection") or "") or DEFAULT_CONNECTION


def service_uri(connection: str, service: str, environ: Mapping[str, str]) -> str:
    """``<CONN>__<service>ServiceUri`` wins over ``<CONN>__serviceUri``, as in the host."""
    key = _SERVICE_KEY[service]
    for name in (f"{connection}__{key}", f"{connection}__serviceUri"):
        value = environ.get(name)
        if value:
            return value
    if environ.get(connection):
        raise ConnectionSettingError(
            f"connection {connection!r} is a connection string; the devstack host runs "
            f"identity-based connections only (set {connection}__{key})"
        )
    raise ConnectionSettingError(f"connection {connection!r}: set {connection}__{key}")


class StorageClients:
    """One service client per endpoint, shared by every binding of the host."""

    def __init__(self, credential: TokenCredential, environ: Mapping[str, str]) -> None:
        self.credential = credential
        self.environ = environ
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, connection: str) -> Any:
        uri = service_uri(connection, service, self.environ)
        with self._lock:
            client = self._clients.get((service, uri))
            if client is None:
                client = self._build(service, uri)
                self._clients[(service, uri)] = client
            return client

    def _build(self, service: str, uri: str) -> Any:
        if service == "blob":
            from azure.storage.blob import BlobServiceClient

            return BlobServiceClient(uri, self.credential, **RETRY_OPTIONS)
        if service == "queue":
            from azure.storage.queue import QueueServiceClient

            return QueueServiceClient(uri, self.credential, **RETRY_OPTIONS)
        from azure.data.tables import TableServiceClient

        return TableServiceClient(uri, credential=self.credential, **RETRY_OPTIONS)

    def blob(self, connection: str) -> Any:
        return self._client("blob", connection)

    def queue(self, connection: str) -> Any:
        return self._client("queue", connection)

    def table(self, connection: str) -> Any:
        return self._client("table", connection)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
