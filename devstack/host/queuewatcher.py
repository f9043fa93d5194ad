"""Waking a queue listener when this host itself put a message on its queue.

A queue listener backs off while its queue is empty, up to ``maxPollingInterval`` (a
minute by default), so a message written by someone else waits for the next poll. A message
written by the host's *own* queue output binding does not: the Storage Queues extension
keeps one ``SharedQueueWatcher`` per host, every listener registers with it under its queue
name, and the output binding calls ``Notify(queueName)`` after each message it adds, which
ends the listener's back-off at once (azure-sdk-for-net,
sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Queues/
SharedQueueWatcher.cs and QueueListener.cs ``Notify``; the binding's ``QueueAsyncCollector``
in sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/Config/
QueuesExtensionConfigProvider.cs). A message moved to a poison queue notifies that queue's
listeners the same way (``RegisterSharedWatcherWithQueueProcessor``).

Registrations are keyed by the queue name alone, as the extension keys them.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Notifiable(Protocol):
    """A listener that can be told its queue has a new message."""

    def notify(self) -> None: ...


class QueueWatcher:
    """One per host: queue name -> the listeners to wake."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Notifiable]] = {}

    def register(self, queue_name: str, listener: Notifiable) -> None:
        with self._lock:
            self._listeners.setdefault(queue_name.lower(), []).append(listener)

    def notify(self, queue_name: str) -> None:
        """Wake every listener of ``queue_name`` (none registered: nothing happens)."""
        with self._lock:
            listeners = list(self._listeners.get(queue_name.lower(), ()))
        for listener in listeners:
            listener.notify()
