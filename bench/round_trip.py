"""P13: the queue round trip through the host's own output binding, after the queue idled.

HTTP -> queue output -> queue trigger -> blob output, with the notes example
(blueprints/notes.py: ``POST /api/notes`` puts the note on ``notes``; ``store_note`` writes
``notes/<id>.txt``) on a stack of its own whose listeners keep the host's default
``maxPollingInterval`` (one minute). Before each round the queue idles long enough for the
listener to back off for seconds; the round is the time from the POST to the blob's
existence (polled every 20 ms). The Storage Queues extension wakes its listener when its own
output binding writes, so the host's round should not wait for the next poll: the goal is
a median of at most 2 s. The baseline is the same note put on the queue by a client outside
the host after the same idle time: only the next poll finds it.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
import uuid
from collections.abc import Callable

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from bench.harness import Bench
from bench.report import Row

#: The host's own default: the listener backs off up to a minute on an empty queue.
ROUND_TRIP_SETTINGS = {"AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:01:00"}
ROUND_TRIP_BLUEPRINTS = ("blueprints.notes",)
GOAL_SECONDS = 2.0
IDLE_SECONDS = 6.0  # back-off by then: waits of 3 to 6 s between polls of the empty queue
POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 120.0


def _stored(bench: Bench, note_id: str, started: float) -> float:
    """Seconds from ``started`` until ``notes/<note_id>.txt`` exists."""
    blob = bench.blobs.get_blob_client("notes", f"{note_id}.txt")
    while time.perf_counter() - started < TIMEOUT_SECONDS:
        try:
            blob.get_blob_properties()
            return time.perf_counter() - started
        except ResourceNotFoundError:
            time.sleep(POLL_SECONDS)
    raise TimeoutError(f"notes/{note_id}.txt was not written within {TIMEOUT_SECONDS:.0f} s")


def _through_the_host(bench: Bench, token: str) -> float:
    started = time.perf_counter()
    answer = requests.post(
        f"{bench.stack.api}/notes",
        json={"text": "a round trip"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    answer.raise_for_status()
    return _stored(bench, str(answer.json()["id"]), started)


def _from_outside(bench: Bench, queue: QueueClient) -> float:
    note_id = uuid.uuid4().hex
    body = json.dumps({"id": note_id, "text": "a round trip", "author": "bench"})
    started = time.perf_counter()
    queue.send_message(base64.b64encode(body.encode()).decode())  # the host's encoding
    return _stored(bench, note_id, started)


def round_trip(bench: Bench, rounds: int = 5) -> Row:
    token = bench.stack.caller_token(lifetime=3600)
    queue = QueueClient(
        bench.stack.endpoints["queue"], "notes", bench.credential, connection_verify=bench.ca
    )
    _through_the_host(bench, token)  # warm-up: imports, connections, the notes container
    samples: dict[str, list[float]] = {"host": [], "outside": []}
    sides: list[tuple[str, Callable[[], float]]] = [
        ("host", lambda: _through_the_host(bench, token)),
        ("outside", lambda: _from_outside(bench, queue)),
    ]
    for index in range(rounds):
        for name, side in sides if index % 2 == 0 else sides[::-1]:  # take turns
            time.sleep(IDLE_SECONDS)
            samples[name].append(side())
    host, outside = statistics.median(samples["host"]), statistics.median(samples["outside"])
    return Row(
        "P13",
        "queue round trip after an idle queue: POST /api/notes -> queue output -> queue "
        f"trigger -> blob output (median of {rounds})",
        f"{host:.2f} s (max {max(samples['host']):.2f} s)",
        f"{outside:.2f} s (the same note sent from outside the host: the next poll)",
        host / outside,
        f"<= {GOAL_SECONDS:g} s (median)",
        host <= GOAL_SECONDS,
        {"samples": samples, "idle_seconds": IDLE_SECONDS},
    )
