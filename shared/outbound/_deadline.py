"""An overall deadline for one outbound call, enforced on its socket.

urllib3's timeouts bound each wait for bytes, not the whole answer: its ``Timeout``
documentation says the read and total timeouts "only measure the time between read
operations", so "if a server streams one byte every fifteen seconds, a timeout of 20
seconds will not trigger". A partner that trickles its answer would hold the caller (and a
worker thread) for as long as it likes.

So each call gets a :class:`Deadline`. The adapter's connections (:class:`DeadlineAdapter`)
register their socket with the call's deadline when they wait for the answer, and one
watchdog thread shuts the registered sockets down (``socket.shutdown``, which wakes a
thread blocked reading it) when the deadline passes. The blocked read then fails at once,
the retry policy sees the deadline passed and gives up, and the caller is told so. This is
what urllib3's own ``HTTPResponse.shutdown`` does to interrupt a read from another thread.

What the deadline does not cut short: establishing a connection and the TLS handshake,
bounded by the connect timeout (the client gives no attempt a longer one than the time
left), and the retry policy's wait between attempts (never started when it would end past
the deadline; see :mod:`shared.outbound._retries`).
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager
from urllib3.poolmanager import pool_classes_by_scheme as _default_pool_classes

__all__ = ["Deadline", "DeadlineAdapter", "current_deadline"]


class Deadline:
    """When one call must be over, and the sockets to cut when it is not.

    :param seconds: time allowed from now.
    :keyword clock: monotonic time source.
    """

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds
        self.expired = False
        self._done = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.at - self._clock())

    def watch(self, sock: socket.socket | None) -> None:
        """Cut ``sock`` when the deadline passes (at once if it already has)."""
        if sock is None:
            return
        with self._lock:
            if self._done:
                return
            self._sockets.append(sock)
            late = self.expired
        if late:
            _shut(sock)

    def expire(self) -> None:
        """The deadline has passed: cut every socket the call is waiting on."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def finish(self) -> None:
        """The call is over: its sockets (back in the pool, maybe) are no longer cut."""
        with self._lock:
            self._done = True
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed, or never connected
        sock.shutdown(socket.SHUT_RDWR)


#: The deadline of the call in progress on this thread (set and reset around each call).
current_deadline: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "outbound_deadline", default=None
)


class _Watchdog:
    """One daemon thread that expires deadlines in time order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="outbound-deadlines", daemon=True
                )
                self._thread.start()
            if self._heap[0][2] is deadline:
                # The thread sleeps until the earliest deadline: woken only when that is
                # this one. Calls share one timeout, so most deadlines come after the
                # earliest, and a wake on every call cost more than the call's span.
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                at, _, deadline = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
            deadline.expire()  # outside the lock: shutting a socket down may block briefly


_WATCHDOG: Final = _Watchdog()


def arm(deadline: Deadline) -> None:
    """Have ``deadline`` expire on time (call :meth:`Deadline.finish` when the call ends)."""
    _WATCHDOG.arm(deadline)


class _Watched:
    """Registers the connection's socket with the call's deadline before each answer."""

    sock: socket.socket | None

    def getresponse(self) -> Any:
        deadline = current_deadline.get()
        if deadline is not None:
            deadline.watch(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOL_CLASSES: Final = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' ``HTTPAdapter`` whose connections answer to :data:`current_deadline`.

    Only the pool classes change (``PoolManager.pool_classes_by_scheme``, also on the
    managers for HTTP(S) proxies); a SOCKS proxy keeps its own classes, without the cut.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> ProxyManager:
        manager: ProxyManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _watch_pools(manager)
        return manager


def _watch_pools(manager: PoolManager) -> None:
    if manager.pool_classes_by_scheme is _default_pool_classes:
        manager.pool_classes_by_scheme = _POOL_CLASSES
