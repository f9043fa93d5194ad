"""bench.submit_latency: the interleaved rounds of the submit-latency case (P4)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bench.submit_latency import interleaved


def test_interleaved_rotates_the_order_and_splits_the_count() -> None:
    lock = threading.Lock()
    order: list[str] = []

    def side(name: str) -> Callable[[int], None]:
        def call(_: int) -> None:
            with lock:
                order.append(name)

        return call

    samples = interleaved(
        {"a": side("a"), "b": side("b"), "c": side("c")}, count=7, concurrency=1, rounds=3
    )

    assert {name: len(values) for name, values in samples.items()} == {"a": 7, "b": 7, "c": 7}
    # Rounds of 3, 2 and 2 calls per side; each round starts with the next side.
    runs = [order[i] for i in range(len(order)) if i == 0 or order[i] != order[i - 1]]
    assert runs == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert all(latency >= 0 for values in samples.values() for latency in values)
