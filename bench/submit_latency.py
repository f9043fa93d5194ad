"""P4: what a submission costs the app, apart from the host that serves it.

In Azure the Functions host serves HTTP; what the app owns is its handler. So the goal's
side is ``submit_job`` called in this process as the Python worker calls it
(:mod:`bench.inprocess`), against the floor: the same partner call, job-state write and
enqueue made directly with ``requests`` and the Storage SDK, on the same threads and the
same stack. The product also writes an outbox marker before the state and deletes it after
the enqueue (a crash between the two loses no job), so P4o holds the handler against a
floor that does that too: P4 is the goal as set, P4o the app's own overhead. Beside them,
for the local experience, the devstack host's own hop: a no-op function through the host
(``bench/noop.py``), and ``POST /api/jobs`` through the host.

The stack is P4's own, with the worker off (``AzureWebJobs.process_job.Disabled``): on two
cores a worker draining the same jobs would take CPU from one side and not the other. The
sides take turns in rounds whose order rotates, so that Azurite slowing as it fills, or a
noisy neighbour, lands on every side alike.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import asdict

import requests
from azure.keyvault.secrets import SecretClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy
from requests.adapters import HTTPAdapter

from bench import progress
from bench.harness import Bench
from bench.inprocess import InProcessHandler
from bench.load import JOB, JobPoster, run_concurrently
from bench.noop import ROUTE as NOOP_ROUTE
from bench.report import Row
from bench.stats import Summary

#: P4's stack: the worker off, the no-op function registered.
P4_SETTINGS = {"AzureWebJobs.process_job.Disabled": "true"}
P4_BLUEPRINTS = ("bench.noop",)
P4_ROUNDS = 5
LEVELS = ((1, 150), (8, 400), (32, 640))
GOAL_P50, GOAL_P99 = 1.10, 1.25


class Floor:
    """The raw work of a submission, done directly with the SDKs: the partner call, the
    job-state write the product makes before it enqueues (so that a job answered 202 can be
    read at once and is never lost), and the enqueue."""

    def __init__(self, bench: Bench) -> None:
        stack = bench.stack
        with stack.as_app():
            self.key = (
                SecretClient(stack.endpoints["vault"], bench.credential)
                .get_secret(stack.endpoints["partner_secret_name"])
                .value
                or ""
            )
        self.url = f"{stack.endpoints['partner']}/v1/analyze"
        self.queue = QueueClient(
            stack.endpoints["queue"],
            f"bench-floor-{uuid.uuid4().hex[:8]}",
            credential=bench.credential,
            connection_verify=bench.ca,
            message_encode_policy=TextBase64EncodePolicy(),
        )
        self.queue.create_queue()
        self.jobs = bench.blobs.get_container_client("jobs")
        self.ca = bench.ca
        # One pooled session shared by every thread, as the app's partner client has: a
        # session per thread would pay a TLS handshake whenever the load runner's threads
        # are new, which the app does not.
        self.session = requests.Session()
        self.session.mount("https://", HTTPAdapter(pool_maxsize=64))

    def __call__(self, _: int) -> None:
        job_id = str(uuid.uuid4())
        response = self.session.post(
            self.url,
            data=JOB,
            timeout=30,
            verify=self.ca,
            headers={
                "X-Api-Key": self.key,
                "Content-Type": "application/json",
                "Idempotency-Key": job_id,
            },
        )
        response.raise_for_status()
        state = {"id": job_id, "status": "queued", "analysis": response.json()}
        self.jobs.upload_blob(f"bench-floor/{job_id}.json", json.dumps(state))
        self.queue.send_message(json.dumps({"job_id": job_id}))

    def close(self) -> None:
        self.queue.delete_queue()
        self.session.close()


class OutboxFloor(Floor):
    """The floor plus what the product adds so that no accepted job is lost to a crash
    between the state write and the enqueue (shared/jobs/outbox.py): a marker blob written
    first and deleted last. Against this floor the ratio is the app's own overhead."""

    def __call__(self, index: int) -> None:
        marker = self.jobs.get_blob_client(f"bench-floor/outbox/{uuid.uuid4()}.json")
        marker.upload_blob(b"{}")
        super().__call__(index)
        marker.delete_blob()


def interleaved(
    sides: dict[str, Callable[[int], None]], *, count: int, concurrency: int, rounds: int
) -> dict[str, list[float]]:
    """Latencies of ``count`` calls per side, run in ``rounds`` with the order rotating."""
    names = list(sides)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        progress.note(f"concurrency {concurrency}: round {round_index + 1} of {rounds}")
        share = count // rounds + (1 if round_index < count % rounds else 0)
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name] += run_concurrently(sides[name], count=share, concurrency=concurrency)
    return samples


def _ms(summary: Summary) -> str:
    return f"p50 {summary.p50 * 1000:.1f} ms, p99 {summary.p99 * 1000:.1f} ms"


def submit_latency(bench: Bench) -> list[Row]:
    token = bench.stack.caller_token("Jobs.Submit", lifetime=7200)
    floor, outbox_floor = Floor(bench), OutboxFloor(bench)
    handler = InProcessHandler(bench.stack, token)
    sides: dict[str, Callable[[int], None]] = {
        "handler": handler,
        "floor": floor,
        "outbox_floor": outbox_floor,
        "noop": JobPoster(bench.stack.api, token, path=NOOP_ROUTE, expect=204),
        "host": bench.poster,
    }
    # Steady state: the first calls pay one-time costs (deferred SDK imports, connection
    # pools, tokens, the key) that P1, P3 and P8 measure on their own.
    for call in sides.values():
        run_concurrently(call, count=64, concurrency=8)
    rows: list[Row] = []
    try:
        for concurrency, count in LEVELS:
            samples = interleaved(
                sides, count=bench.n(count), concurrency=concurrency, rounds=P4_ROUNDS
            )
            got = {name: Summary.of(values) for name, values in samples.items()}
            app, base = got["handler"], got["floor"]
            p50, p99 = app.p50 / base.p50, app.p99 / base.p99
            rows.append(
                Row(
                    f"P4.c{concurrency}",
                    f"POST /api/jobs handler in-process, concurrency {concurrency}",
                    _ms(app),
                    f"{_ms(base)} (raw partner + state write + enqueue)",
                    p50,
                    f"p50 <= {GOAL_P50:.2f}x, p99 <= {GOAL_P99:.2f}x",
                    p50 <= GOAL_P50 and p99 <= GOAL_P99,
                    {"app": asdict(app), "floor": asdict(base), "p99_ratio": p99},
                )
            )
            fair = got["outbox_floor"]
            o50, o99 = app.p50 / fair.p50, app.p99 / fair.p99
            rows.append(
                Row(
                    f"P4o.c{concurrency}",
                    f"the same handler against the floor with the outbox marker, concurrency "
                    f"{concurrency}",
                    _ms(app),
                    f"{_ms(fair)} (raw partner + marker write + state write + enqueue + "
                    "marker delete)",
                    o50,
                    f"p50 <= {GOAL_P50:.2f}x, p99 <= {GOAL_P99:.2f}x",
                    o50 <= GOAL_P50 and o99 <= GOAL_P99,
                    {"app": asdict(app), "floor": asdict(fair), "p99_ratio": o99},
                )
            )
            hop, host = got["noop"], got["host"]
            rows.append(
                Row(
                    f"P4h.c{concurrency}",
                    f"devstack host hop: a no-op function, concurrency {concurrency}",
                    _ms(hop),
                    f"POST /api/jobs through the host: {_ms(host)}",
                    None,
                    "reported (local only)",
                    None,
                    {
                        "noop": asdict(hop),
                        "through_host": asdict(host),
                        "host_minus_handler_p50_ms": (host.p50 - app.p50) * 1000,
                    },
                )
            )
    finally:
        floor.close()
        outbox_floor.close()
        handler.close()
    return rows
