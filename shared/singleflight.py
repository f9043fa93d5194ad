"""Single-flight: callers asking for the same thing at the same time share one call.

The secret provider fetches a secret once for every thread that needs it at that moment
(a cold start, an expiry under load); the posture checker reads each source of facts
once per run for every rule that asks. Both wait on a :class:`Flight`: the first caller
runs the call, the others get its result, or its error, when it is done.

A flight can also run on a thread of its own (:meth:`Flight.launch`), so that every caller,
the one who started it included, can give up waiting after a deadline
(``join(timeout=...)``) while the call itself runs to its own end: a slow dependency then
costs one background thread, not every request thread that needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as _FutureTimeout
from typing import Generic, TypeVar

from shared.errors import AppError

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class FlightTimeout(AppError, TimeoutError):
    """A caller stopped waiting for a flight that is still in the air."""

    code = "timed_out"
    http_status = 503
    transient = True
    caller_message = "a dependency did not answer in time; retry later"


class Flight(Generic[T]):
    """One call in progress; everyone who joins it gets its result or its error."""

    def __init__(self) -> None:
        self._done: Future[T] = Future()

    @property
    def landed(self) -> bool:
        """The call has returned or raised."""
        return self._done.done()

    def lead(self, call: Callable[[], T]) -> T:
        """Run ``call`` for everyone: joiners get what it returns, or what it raises."""
        try:
            result = call()
        except BaseException as exc:
            self._done.set_exception(exc)
            raise
        self._done.set_result(result)
        return result

    def launch(self, call: Callable[[], T], *, name: str) -> None:
        """Run ``call`` for everyone on a daemon thread called ``name``; return at once.

        Its outcome reaches joiners only: an error is not raised on the thread, so it
        is neither printed by ``threading.excepthook`` nor lost.
        """

        def run() -> None:
            try:
                result = call()
            except BaseException as exc:
                self._done.set_exception(exc)
                return
            self._done.set_result(result)

        threading.Thread(target=run, name=name, daemon=True).start()

    def join(self, timeout: float | None = None) -> T:
        """Wait for the leader's call; its error is raised here too.

        :raises FlightTimeout: ``timeout`` seconds passed first (the call goes on).
        """
        try:
            return self._done.result(timeout)
        except _FutureTimeout:  # also what a call that raised TimeoutError raises
            if not self._done.done():
                raise FlightTimeout(f"still in flight after {timeout:g} s") from None
        return self._done.result()


class SingleFlight(Generic[K, T]):
    """One :class:`Flight` per key: the first caller of a key leads, concurrent ones join.

    :keyword keep: keep every flight's answer (result or error) for later callers too, which
        makes it a memo; otherwise a key is called afresh once its flight has landed.
    """

    def __init__(self, *, keep: bool = False) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._flights: dict[K, Flight[T]] = {}

    def run(self, key: K, call: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = Flight()
        if not leader:
            return flight.join()
        try:
            return flight.lead(call)
        finally:
            if not self._keep:
                with self._lock:
                    if self._flights.get(key) is flight:
                        del self._flights[key]
