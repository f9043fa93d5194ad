"""Storage transactions the stack's Azurite served, counted from its access log.

Azurite writes one access-log line per request (``<ip> - - [<time>] "<METHOD> <path>?<query>
HTTP/1.1" <status> -``); the stack copies its output to ``logs/azurite.log`` and hands every
line to :class:`StorageStats` too, which the control plane serves at
``/devstack/stats/storage``. Capacity planning needs these numbers (a storage account and a
queue are both rated in requests per second), and counting what Azurite served, rather than
what the app believes it sent, includes the SDKs' retries and the host's own polling.

The access log names no service, so each request is classified by the shape of its path,
as the Storage REST API lays it out (https://learn.microsoft.com/rest/api/storageservices/):
``/<account>/<queue>/messages[/<id>]`` is a message operation (Get Messages is ``GET``,
Put Message ``POST``, Delete Message ``DELETE`` with a ``popreceipt``, Update Message ``PUT``,
Peek Messages ``GET`` with ``peekonly=true``); ``/<account>/<queue>`` without
``restype=container`` is a queue operation; ``restype=container`` is a container operation;
anything deeper is a blob; ``Tables`` and ``<table>(...)`` are the Table service. A blob
named ``messages`` at the top of a container would be taken for a queue's messages: the
app names its blobs ``<job id>.json`` and ``<folder>/...``, so that shape never occurs.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_LINE = re.compile(
    r'^\S+ - - \[[^\]]+\] "(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3})'
)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One request Azurite served: its service, the operation and what it touched."""

    service: str  # blob, queue or table
    operation: str  # e.g. "message.receive", "blob.write", "container.create"
    target: str  # the container, queue or table name ("" for account-level calls)
    status: int


def classify(line: str) -> Transaction | None:
    """The transaction an access-log line records, or ``None`` for any other line."""
    match = _LINE.match(line)
    if match is None:
        return None
    method, status = match["method"], int(match["status"])
    parts = urlsplit(match["target"])
    segments = [segment for segment in parts.path.split("/") if segment]
    query = {name.lower(): values[-1].lower() for name, values in parse_qs(parts.query).items()}
    name = segments[1] if len(segments) > 1 else ""
    if name == "Tables" or "(" in name:
        return Transaction("table", f"table.{method.lower()}", name.split("(")[0], status)
    if len(segments) <= 1:
        return Transaction("account", f"account.{method.lower()}", "", status)
    if query.get("restype") == "container":
        return Transaction("blob", _container_operation(method, query), name, status)
    if len(segments) >= 3 and segments[2] == "messages":
        return Transaction("queue", _message_operation(method, query, len(segments)), name, status)
    if len(segments) == 2:
        return Transaction("queue", _queue_operation(method, query), name, status)
    return Transaction("blob", _blob_operation(method), name, status)


def _container_operation(method: str, query: dict[str, str]) -> str:
    if query.get("comp") == "list":
        return "container.list"
    return {"PUT": "container.create", "DELETE": "container.delete"}.get(
        method, "container.properties"
    )


def _message_operation(method: str, query: dict[str, str], depth: int) -> str:
    if method == "GET":
        return "message.peek" if query.get("peekonly") == "true" else "message.receive"
    if method == "POST":
        return "message.put"
    if method == "PUT":
        return "message.update"
    if method == "DELETE":
        return "message.delete" if depth > 3 else "message.clear"
    return f"message.{method.lower()}"


def _queue_operation(method: str, query: dict[str, str]) -> str:
    if query.get("comp") == "metadata" and method in ("GET", "HEAD"):
        return "queue.properties"
    return {"PUT": "queue.create", "DELETE": "queue.delete"}.get(method, "queue.other")


def _blob_operation(method: str) -> str:
    return {
        "GET": "blob.read",
        "HEAD": "blob.properties",
        "PUT": "blob.write",
        "DELETE": "blob.delete",
    }.get(method, "blob.other")


class StorageStats:
    """Thread-safe counts of Azurite's transactions (the control plane's ``storage`` piece).

    ``stats()`` answers ``{"total", "by_service", "by_operation", "by_target"}``, where
    ``by_target`` keys are ``<service>:<name>:<operation>`` (e.g. ``queue:jobs:message.put``),
    so a test or a benchmark can count one queue or container apart from the others.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_target: Counter[str] = Counter()
        self._by_operation: Counter[str] = Counter()
        self._by_service: Counter[str] = Counter()

    def record_line(self, line: str) -> None:
        """Count the line if it is an access-log line (any other output is ignored)."""
        transaction = classify(line)
        if transaction is None:
            return
        with self._lock:
            self._by_service[transaction.service] += 1
            self._by_operation[transaction.operation] += 1
            key = f"{transaction.service}:{transaction.target}:{transaction.operation}"
            self._by_target[key] += 1

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "total": sum(self._by_service.values()),
                "by_service": dict(self._by_service),
                "by_operation": dict(self._by_operation),
                "by_target": dict(self._by_target),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._by_service.clear()
            self._by_operation.clear()
            self._by_target.clear()
