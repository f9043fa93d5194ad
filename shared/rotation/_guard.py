"""One rotation at a time: a blob lease, then a second look at the vault.

A duplicate event, a redelivered message and the daily timer may all start a rotation
of the same secret at once. Each takes the lease on ``<secret>.lock`` in the rotation's
container before it reads the vault (Blob Storage grants one lease at a time and answers
409 ``LeaseAlreadyPresent`` to the others); a latecomer waits for the lease, then finds
the vault already holds a fresh version and does nothing. The lease is finite (60 s), so
a rotation that dies while holding it delays the next by a minute at most; a rotation
renews it just before it writes the vault and stops (revoking the key it was issued) if
the renewal fails, so two writers never overlap.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from azure.core.exceptions import HttpResponseError

from shared.rotation.errors import GuardBusyError, GuardLostError
from shared.tracing import traced

if TYPE_CHECKING:
    from azure.storage.blob import BlobLeaseClient, ContainerClient

LEASE_SECONDS = 60  # Blob Storage takes 15-60 s or infinite; finite so a crash frees it


class LeaseGuard:
    """The lease on one secret's lock blob, as a context manager.

    :keyword wait_seconds: how long to wait for another holder before
        :class:`GuardBusyError`.
    """

    def __init__(
        self,
        container: ContainerClient,
        secret_name: str,
        *,
        lease_seconds: int = LEASE_SECONDS,
        wait_seconds: float = 2 * LEASE_SECONDS,
        poll_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._blob = container.get_blob_client(f"{secret_name}.lock")
        self._lease_seconds = lease_seconds
        self._wait = wait_seconds
        self._poll = poll_seconds
        self._clock, self._sleep = clock, sleep
        self._lease: BlobLeaseClient | None = None
        self.waited = False  # another rotation held the lease when this one arrived

    @traced("rotation lease acquire")
    def __enter__(self) -> LeaseGuard:
        try:
            self._blob.upload_blob(b"", overwrite=False)
        except HttpResponseError as exc:  # it exists (409), or exists leased (412)
            if exc.status_code not in (409, 412):
                raise
        deadline = self._clock() + self._wait
        while True:
            try:
                self._lease = self._blob.acquire_lease(lease_duration=self._lease_seconds)
                return self
            except HttpResponseError as exc:
                if exc.status_code != 409:
                    raise
            self.waited = True
            if self._clock() >= deadline:
                raise GuardBusyError(
                    f"another rotation of {self._blob.blob_name} held its lease for "
                    f"{self._wait:g} s; this one will be retried"
                )
            self._sleep(self._poll)

    @traced("rotation lease renew")
    def renew(self) -> None:
        """Keep the lease for another full period; :class:`GuardLostError` if it is gone."""
        if self._lease is None:
            raise GuardLostError("no lease is held")
        try:
            self._lease.renew()
        except HttpResponseError as exc:
            if exc.status_code in (409, 412):
                raise GuardLostError(
                    f"the lease on {self._blob.blob_name} expired during the rotation"
                ) from exc
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            with contextlib.suppress(Exception):  # best effort: an unreleased lease ends itself
                lease.release()
