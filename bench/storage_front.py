"""P9: Storage through the front against the same calls straight to Azurite.

The front (devstack/storagefront) stands between every client and Azurite; this case
measures what it costs. The same Storage SDK calls, with the same identity and the same
pooled clients, go once to the public ports (the front) and once to Azurite's internal
ports (``azurite_ports`` in endpoints.json), in rounds that take turns so drift lands on
both sides alike: small requests at concurrency 8 (a queue send, receive and delete, a
1 KiB blob written and read: the worker's traffic) and large bodies streamed both ways
(8 MiB blobs: the front's copying). The ratio is the median, over the rounds, of the
front's throughput over Azurite's in the same round.
"""

from __future__ import annotations

import functools
import os
import statistics
import time
import uuid
from collections.abc import Callable

from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueClient

from bench.harness import Bench
from bench.load import run_concurrently
from bench.report import Row

CONTAINER = "bench-front"
QUEUE = "bench-front"
ROUNDS = 6
SMALL = os.urandom(1024)
LARGE = os.urandom(8 * 1024 * 1024)


class _Side:
    """One way to Storage: through the front or straight to Azurite."""

    def __init__(self, bench: Bench, blob_url: str, queue_url: str, queue: str) -> None:
        blobs = BlobServiceClient(
            blob_url, bench.credential, connection_verify=bench.ca, max_single_put_size=len(LARGE)
        )
        self.container: ContainerClient = blobs.get_container_client(CONTAINER)
        self.queue = QueueClient(
            queue_url, queue, credential=bench.credential, connection_verify=bench.ca
        )
        self.prefix = uuid.uuid4().hex

    def small(self, index: int) -> None:
        self.queue.send_message(f"{self.prefix}-{index}")
        # Hidden for five minutes, not the service's 30 s: Azurite's queue sweep stalls it for
        # tens of seconds once thousands of messages went (docs/performance.md, "Misses"), and
        # a message that came back meanwhile would be taken again, its first delete a 404.
        for message in self.queue.receive_messages(max_messages=1, visibility_timeout=300):
            self.queue.delete_message(message)
        name = f"{self.prefix}/small-{index}"
        self.container.upload_blob(name, SMALL, overwrite=True)
        if self.container.download_blob(name).readall() != SMALL:
            raise RuntimeError("small blob changed on the way")

    def large(self, index: int) -> None:
        name = f"{self.prefix}/large-{index}"
        self.container.upload_blob(name, LARGE, overwrite=True)
        if self.container.download_blob(name, max_concurrency=1).readall() != LARGE:
            raise RuntimeError("large blob changed on the way")


def _direct(url: str, public: int, internal: int) -> str:
    return url.replace(f":{public}/", f":{internal}/", 1)


def _rates(
    sides: dict[str, _Side], call: Callable[[_Side, int], None], count: int, concurrency: int
) -> tuple[dict[str, float], float]:
    """Calls per second on each side over all rounds, and the median per-round ratio."""
    spent: dict[str, list[float]] = {name: [] for name in sides}
    for round_index in range(ROUNDS):
        names = list(sides)[round_index % 2 :] + list(sides)[: round_index % 2]
        for name in names:
            side = sides[name]
            started = time.perf_counter()
            run_concurrently(functools.partial(call, side), count=count, concurrency=concurrency)
            spent[name].append(time.perf_counter() - started)
    rates = {name: count * ROUNDS / sum(seconds) for name, seconds in spent.items()}
    ratio = statistics.median(d / f for f, d in zip(spent["front"], spent["azurite"], strict=True))
    return rates, ratio


def storage_front(bench: Bench) -> list[Row]:
    endpoints = bench.stack.endpoints
    ports, internal = endpoints["ports"], endpoints["azurite_ports"]
    blob, queue = endpoints["blob"], endpoints["queue"]
    sides = {
        "front": _Side(bench, blob, queue, f"{QUEUE}-front"),
        "azurite": _Side(
            bench,
            _direct(blob, ports["blob"], internal["blob"]),
            _direct(queue, ports["queue"], internal["queue"]),
            f"{QUEUE}-azurite",
        ),
    }
    sides["front"].container.create_container()
    for side in sides.values():
        side.queue.create_queue()
    for side in sides.values():  # warm: connection pools, tokens
        run_concurrently(side.small, count=16, concurrency=8)
    rows = []
    for ident, label, call, count, concurrency, unit in (
        (
            "P9.small",
            "queue send/receive/delete + 1 KiB blob write/read, concurrency 8",
            _Side.small,
            bench.n(200),
            8,
            "rounds/s",
        ),
        (
            "P9.large",
            "8 MiB blob written and read back, concurrency 2",
            _Side.large,
            max(4, bench.n(16)),
            2,
            "MiB/s",
        ),
    ):
        rates, ratio = _rates(sides, call, count, concurrency)
        scale = 16 if unit == "MiB/s" else 1  # 8 MiB each way
        front, direct = rates["front"] * scale, rates["azurite"] * scale
        rows.append(
            Row(
                ident,
                f"Storage through the front: {label}",
                f"{front:.1f} {unit}",
                f"{direct:.1f} {unit} (straight to Azurite)",
                ratio,
                ">= 0.8x (median of rounds)",
                ratio >= 0.8,
            )
        )
    return rows
