"""bench.submit_latency: the interleaved rounds of the submit-latency case (P4)."""

from __future__ import annotations

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

    samples = interleaved(
        {"a": side("a"), "b": side("b"), "c": side("c")}, count=5, concurrency=1, rounds=2
    )

    assert {name: len(values) for name, values in samples.items()} == {"a": 5, "b": 5, "c": 5}
    # Rounds of 3 and 2 calls per side, mixed; each round starts one side further on.
    assert "".join(order) == "abcabcabc" + "bcabca"
    assert all(latency >= 0 for values in samples.values() for latency in values)
