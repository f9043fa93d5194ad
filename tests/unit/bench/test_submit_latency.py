"""bench.submit_latency: the interleaved rounds of the submit-latency case (P4)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from bench.submit_latency import LEVELS, _measure, interleaved
from shared.storage import JOBS_CONTAINER


def test_interleaved_mixes_the_sides_in_every_batch_and_splits_the_count() -> None:
    lock = threading.Lock()
    order: list[str] = []

    def side(name: str) -> Callable[[int], None]:
        def call(_: int) -> None:
            with lock:
                order.append(name)

        return call

    sides = {"a": side("a"), "b": side("b"), "c": side("c")}
    samples = interleaved(sides, count=40, concurrency=1, rounds=2)

    assert {name: len(values) for name, values in samples.items()} == {"a": 40, "b": 40, "c": 40}
    first, second = order[:60], order[60:]
    assert sorted(first) == sorted(second) == sorted("abc" * 20)  # each batch its share
    assert first != second  # shuffled afresh for each batch
    assert all(latency >= 0 for values in samples.values() for latency in values)
    # No side always follows the same one: each is followed by every side.
    followers = set(itertools.pairwise(order))
    assert followers == {(x, y) for x in "abc" for y in "abc"}
    interleaved(sides, count=40, concurrency=1, rounds=2)
    assert order[120:] == order[:120]  # the same order in every run


class _Side:
    def __init__(self, events: list[str], lock: threading.Lock) -> None:
        self.events, self.lock = events, lock

    def __call__(self, _: int) -> None:
        with self.lock:
            self.events.append("call")

    def close(self) -> None:
        self.events.append("close")


class _Bench:
    """What _measure uses of a Bench: the count and the container's emptying."""

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.emptied: list[str] = []

    def n(self, count: int) -> int:
        return 10

    def empty_container(self, name: str) -> None:
        self.emptied.append(name)
        self.events.append("empty")


def test_every_level_starts_from_an_empty_jobs_container() -> None:
    events: list[str] = []
    lock = threading.Lock()
    bench = _Bench(events)
    found = _measure(bench, {"a": _Side(events, lock), "b": _Side(events, lock)})  # type: ignore[arg-type]

    assert list(found) == [concurrency for concurrency, _ in LEVELS]
    assert bench.emptied == [JOBS_CONTAINER] * len(LEVELS)
    # The warm-up, then each level's calls right after its emptying, none in between.
    runs = [(name, len(list(group))) for name, group in itertools.groupby(events)]
    warm_up = ("call", 2 * 64)
    level = [("empty", 1), ("call", 2 * 10)]
    assert runs == [warm_up, *level * len(LEVELS), ("close", 2)]
