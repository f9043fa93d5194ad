"""bench.submit_latency: the interleaved rounds of the submit-latency case (P4)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from bench.submit_latency import interleaved


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
