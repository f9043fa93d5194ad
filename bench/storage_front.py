"""P9: Storage through the front against a bare TLS relay and straight to Azurite.

The front (devstack/storagefront) stands between every client and Azurite; this case
measures what it costs. The same Storage SDK calls, with the same identity and the same
pooled clients, go to the public ports (the front) and to Azurite's internal ports
(``azurite_ports`` in endpoints.json), in rounds that take turns so drift lands on every
side alike: small requests at concurrency 8 (a queue send, receive and delete, a 1 KiB blob
written and read: the worker's traffic) and large bodies streamed both ways (8 MiB blobs:
the front's copying). The ratio is the median, over the rounds, of the front's throughput
over the baseline's in the same round.

Large bodies are judged against a floor: a bare TLS relay to Azurite (:mod:`bench.tls_relay`),
since any front that reads the requests decrypts and encrypts every byte once more than
the way straight to Azurite does, and on two cores that alone costs a large body about a
sixth of its speed. What the front adds beyond the relay is the front's own; the ratio to
Azurite direct is reported beside it (P9d).
"""

from __future__ import annotations

import functools
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueClient, QueueMessage

from bench.harness import Bench
from bench.load import run_concurrently
from bench.report import Row
from bench.tls_relay import running_relay

CONTAINER = "bench-front"
QUEUE = "bench-front"
ROUNDS = 6
#: The front may cost a large body this much of a bare relay's speed, and no more.
GOAL_TO_FLOOR = 0.9
SMALL = os.urandom(1024)
LARGE = os.urandom(8 * 1024 * 1024)


class _Side:
    """One way to Storage: through the front or straight to Azurite."""

    def __init__(
        self, bench: Bench, blob_url: str, queue_url: str, queue: str, *, verify: str = ""
    ) -> None:
        blobs = BlobServiceClient(
            blob_url,
            bench.credential,
            connection_verify=verify or bench.ca,
            max_single_put_size=len(LARGE),
        )
        self.container: ContainerClient = blobs.get_container_client(CONTAINER)
        self.queue = QueueClient(
            queue_url, queue, credential=bench.credential, connection_verify=bench.ca
        )
        self.prefix = uuid.uuid4().hex
        self.gone = 0  # deletes the queue answered "MessageNotFound" (delete_received)
        self._lock = threading.Lock()

    def small(self, index: int) -> None:
        self.queue.send_message(f"{self.prefix}-{index}")
        # Hidden for five minutes, not the service's 30 s: Azurite's queue sweep stalls it for
        # tens of seconds once thousands of messages went (docs/performance.md, "Misses"), and
        # a message that came back meanwhile would be taken again, its first delete a 404.
        for message in self.queue.receive_messages(max_messages=1, visibility_timeout=300):
            if not delete_received(self.queue, message):
                with self._lock:
                    self.gone += 1
        name = f"{self.prefix}/small-{index}"
        self.container.upload_blob(name, SMALL, overwrite=True)
        if self.container.download_blob(name).readall() != SMALL:
            raise RuntimeError("small blob changed on the way")

    def large(self, index: int) -> None:
        name = f"{self.prefix}/large-{index}"
        self.container.upload_blob(name, LARGE, overwrite=True)
        if self.container.download_blob(name, max_concurrency=1).readall() != LARGE:
            raise RuntimeError("large blob changed on the way")


def delete_received(queue: QueueClient, message: QueueMessage) -> bool:
    """Delete a received message: False when the queue answers that it is gone.

    Gone means it went another way, and a consumer has nothing left to do: the SDK sent the
    delete again after a first answer was lost (the first deleted it), or the message came
    back during one of Azurite's stalls and another call took it. The Functions host's own
    queue listener returns on the same answer (azure-webjobs-sdk,
    ``QueueProcessor.DeleteMessageAsync``: 404 ``MessageNotFound``). A full ``make bench``
    once stopped P9 on four such deletes in 200 calls. Any other answer still fails the call.
    """
    try:
        queue.delete_message(message)
    except ResourceNotFoundError as exc:
        # Set by the Storage SDK's error handling, not by azure-core's class.
        if getattr(exc, "error_code", None) != "MessageNotFound":
            raise
        return False
    return True


def _direct(url: str, public: int, internal: int) -> str:
    return url.replace(f":{public}/", f":{internal}/", 1)


def _rounds(
    sides: dict[str, _Side], call: Callable[[_Side, int], None], count: int, concurrency: int
) -> dict[str, list[float]]:
    """Seconds each side took for ``count`` calls, per round, the order rotating."""
    spent: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for round_index in range(ROUNDS):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            side = sides[name]
            started = time.perf_counter()
            run_concurrently(functools.partial(call, side), count=count, concurrency=concurrency)
            spent[name].append(time.perf_counter() - started)
    return spent


def _rate(seconds: list[float], count: int) -> float:
    """Calls per second in the median round: a round stalled by Azurite (its queue sweep, a
    garbage collection) moves it as little as it moves the ratio."""
    return statistics.median(count / each for each in seconds)


def _ratio(spent: dict[str, list[float]], baseline: str, side: str = "front") -> float:
    """The median over the rounds of ``side``'s speed over ``baseline``'s."""
    pairs = zip(spent[side], spent[baseline], strict=True)
    return statistics.median(base / own for own, base in pairs)


def storage_front(bench: Bench) -> list[Row]:
    endpoints = bench.stack.endpoints
    ports, internal = endpoints["ports"], endpoints["azurite_ports"]
    blob, queue = endpoints["blob"], endpoints["queue"]
    direct_queue = _direct(queue, ports["queue"], internal["queue"])
    sides = {
        "front": _Side(bench, blob, queue, f"{QUEUE}-front"),
        "azurite": _Side(
            bench, _direct(blob, ports["blob"], internal["blob"]), direct_queue, f"{QUEUE}-azurite"
        ),
    }
    sides["front"].container.create_container()
    for side in sides.values():
        side.queue.create_queue()
    for side in sides.values():  # warm: connection pools, tokens
        run_concurrently(side.small, count=16, concurrency=8)
    small = _rounds(sides, _Side.small, bench.n(200), 8)
    small_ratio = _ratio(small, "azurite")
    rows = [
        Row(
            "P9.small",
            "Storage through the front: queue send/receive/delete + 1 KiB blob write/read, "
            "concurrency 8",
            f"{_rate(small['front'], bench.n(200)):.1f} rounds/s",
            f"{_rate(small['azurite'], bench.n(200)):.1f} rounds/s (straight to Azurite)",
            small_ratio,
            ">= 0.8x (median of rounds)",
            small_ratio >= 0.8,
            {"deletes_found_gone": {name: side.gone for name, side in sides.items()}},
        )
    ]
    count = max(4, bench.n(16))
    with (
        tempfile.TemporaryDirectory(prefix="bench-relay-") as folder,
        running_relay(internal["blob"], endpoints["ca_cert"], Path(folder)) as relay,
    ):
        sides["relay"] = _Side(
            bench, relay.url(blob, ports["blob"]), direct_queue, f"{QUEUE}-azurite", verify=relay.ca
        )
        run_concurrently(sides["relay"].large, count=2, concurrency=2)  # warm: its connections
        large = _rounds(sides, _Side.large, count, 2)
    mib = {name: _rate(seconds, count) * 16 for name, seconds in large.items()}  # 8 MiB each way
    to_floor, to_direct = _ratio(large, "relay"), _ratio(large, "azurite")
    rows.append(
        Row(
            "P9.large",
            "Storage through the front: 8 MiB blob written and read back, concurrency 2",
            f"{mib['front']:.1f} MiB/s",
            f"{mib['relay']:.1f} MiB/s (a bare TLS relay to Azurite: the floor of any front)",
            to_floor,
            f">= {GOAL_TO_FLOOR}x of the floor (median of rounds)",
            to_floor >= GOAL_TO_FLOOR,
        )
    )
    floor_to_direct = _ratio(large, "azurite", side="relay")
    rows.append(
        Row(
            "P9d.large",
            "Storage through the front against Azurite direct: 8 MiB blobs, concurrency 2",
            f"{mib['front']:.1f} MiB/s",
            f"{mib['azurite']:.1f} MiB/s (straight to Azurite; the relay: "
            f"{floor_to_direct:.2f}x of it)",
            to_direct,
            "reported",
            None,
            {"relay_to_direct": floor_to_direct},
        )
    )
    return rows
