"""Single-flight: callers asking for the same thing at the same time share one call.

The secret provider fetches a secret once for every thread that needs it at that moment
(a cold start, an expiry under load); the posture checker reads each source of facts
once per run for every rule that asks. Both wait on a :class:`Flight`: the first caller
runs the call, the others get its result, or its error, when it is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class Flight(Generic[T]):
    """One call in progress; everyone who joins it gets its result or its error."""

    def __init__(self) -> None:
        self._done: Future[T] = Future()

    def lead(self, call: Callable[[], T]) -> T:
        """Run ``call`` for everyone: joiners get what it returns, or what it raises."""
        try:
            result = call()
        except BaseException as exc:
            self._done.set_exception(exc)
            raise
        self._done.set_result(result)
        return result

    def join(self) -> T:
        """Wait for the leader's call; its error is raised here too."""
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
