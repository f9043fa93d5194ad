"""The leases of the queue messages a listener is running: kept invisible while they run.

A received message is invisible for the lease (10 minutes in the host, see
:class:`devstack.host.config.QueueOptions`); while its function runs, one thread renews the
lease of every message at half of it, as the extension's ``UpdateQueueMessageVisibilityCommand``
does for each message, and hands back the latest pop receipt to settle the message with.
"""

from __future__ import annotations

import logging
import threading
import time

from azure.core.exceptions import AzureError
from azure.storage.queue import QueueClient, QueueMessage

logger = logging.getLogger("devstack.host")


class Lease:
    """One received message kept invisible while its function runs."""

    def __init__(self, message: QueueMessage, due: float) -> None:
        self.message = message
        self.pop_receipt: str = message.pop_receipt or ""
        self.due = due
        self.lock = threading.Lock()  # held while renewing; released leases are not renewed
        self.held = True


class Leases:
    """Renews the leases of every message one listener is running: one thread, not one per
    message (the host renews at half the visibility timeout too)."""

    def __init__(self, queue: QueueClient, lease_seconds: float, stop: threading.Event) -> None:
        self._queue = queue
        self._lease = lease_seconds
        self._stop = stop
        self._leases: dict[str, Lease] = {}
        self._lock = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="lease-renewal", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        with self._lock:
            self._lock.notify_all()
        self._thread.join(timeout)

    def hold(self, message: QueueMessage) -> Lease:
        lease = Lease(message, time.monotonic() + self._lease / 2)
        with self._lock:
            self._leases[message.id] = lease
        return lease

    def release(self, lease: Lease) -> str:
        """Stop renewing; return the pop receipt to settle the message with."""
        with self._lock:
            self._leases.pop(lease.message.id, None)
        with lease.lock:  # wait for a renewal in flight
            lease.held = False
            return lease.pop_receipt

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                due = [lease for lease in self._leases.values() if lease.due <= now]
                soonest = min((lease.due for lease in self._leases.values()), default=None)
                if not due:
                    self._lock.wait(self._lease / 2 if soonest is None else soonest - now)
                    continue
            for lease in due:
                self._renew(lease)

    def _renew(self, lease: Lease) -> None:
        with lease.lock:
            if not lease.held:
                return
            lease.due = time.monotonic() + self._lease / 2
            try:
                updated = self._queue.update_message(
                    lease.message.id,
                    pop_receipt=lease.pop_receipt,
                    visibility_timeout=int(self._lease),
                )
                lease.pop_receipt = updated.pop_receipt or lease.pop_receipt
            except AzureError:
                logger.warning("could not renew visibility of message %s", lease.message.id)
