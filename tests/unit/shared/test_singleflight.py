"""shared.singleflight: concurrent callers of one key share one call, its result or its error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.singleflight import Flight, SingleFlight

CALLERS = 8


def test_concurrent_callers_share_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    entered, release = threading.Event(), threading.Event()
    calls = 0
    waiting = threading.Semaphore(0)
    join = Flight.join

    def counted_join(flight: Flight[int]) -> int:
        waiting.release()  # this caller joined the flight in progress
        return join(flight)

    monkeypatch.setattr(Flight, "join", counted_join)

    def slow() -> int:
        nonlocal calls
        calls += 1
        entered.set()
        assert release.wait(10)
        return 42

    with ThreadPoolExecutor(CALLERS) as pool:
        leader = pool.submit(flights.run, "key", slow)
        assert entered.wait(10)
        joiners = [pool.submit(flights.run, "key", slow) for _ in range(CALLERS - 1)]
        for _ in joiners:
            assert waiting.acquire(timeout=10)
        release.set()
        answers = [leader.result(), *(j.result() for j in joiners)]
    assert answers == [42] * CALLERS
    assert calls == 1


def test_the_leaders_error_reaches_every_joiner() -> None:
    flight: Flight[int] = Flight()
    joined = threading.Event()

    def join() -> int:
        joined.set()
        return flight.join()

    def fail() -> int:
        raise LookupError("gone")

    with ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(join)
        assert joined.wait(10)
        with pytest.raises(LookupError, match="gone"):
            flight.lead(fail)
        with pytest.raises(LookupError, match="gone"):
            waiter.result()


def test_without_keep_a_key_is_called_again_once_its_flight_has_landed() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    answers = iter([1, 2])
    assert flights.run("key", lambda: next(answers)) == 1
    assert flights.run("key", lambda: next(answers)) == 2


def test_with_keep_every_later_caller_gets_the_first_answer_or_error() -> None:
    memo: SingleFlight[str, int] = SingleFlight(keep=True)
    answers = iter([1, 2])
    assert memo.run("a", lambda: next(answers)) == 1
    assert memo.run("a", lambda: next(answers)) == 1

    def fail() -> int:
        raise ValueError("no such vault")

    with pytest.raises(ValueError, match="no such vault"):
        memo.run("b", fail)
    with pytest.raises(ValueError, match="no such vault"):
        memo.run("b", lambda: 3)
