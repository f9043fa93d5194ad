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

Tracing: every side but ``handler_traced`` runs with tracing paused in this process; P4t
holds the traced handler against the same handler untraced (spans exported over OTLP to
the stack, as locally), and P4x prices tracing off: the spans a submission opens, each a
call into the do-nothing span while tracing is off, against the handler's p50.

The stack is P4's own, with the worker off (``AzureWebJobs.process_job.Disabled``): on two
cores a worker draining the same jobs would take CPU from one side and not the other. The
sides take turns in rounds whose order rotates, so that Azurite slowing as it fills, or a
noisy neighbour, lands on every side alike.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

import requests
from azure.keyvault.secrets import SecretClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy
from requests.adapters import HTTPAdapter

from bench.harness import Bench
from bench.inprocess import InProcessHandler
from bench.load import JOB, JobPoster, run_concurrently
from bench.noop import ROUTE as NOOP_ROUTE
from bench.report import Row
from bench.stats import Summary
from shared import tracing

#: P4's stack: the worker off, the no-op function registered.
P4_SETTINGS = {"AzureWebJobs.process_job.Disabled": "true"}
P4_BLUEPRINTS = ("bench.noop",)
P4_ROUNDS = 5
LEVELS = ((1, 150), (8, 400), (32, 640))
GOAL_P50, GOAL_P99 = 1.10, 1.25
#: Tracing on may add this much to the handler's p50 (P4t); tracing off, this share (P4x).
GOAL_TRACED, GOAL_OFF = 1.05, 0.001


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
    sides: dict[str, Callable[[int], None]],
    *,
    count: int,
    concurrency: int,
    rounds: int,
    around: Mapping[str, Callable[[], contextlib.AbstractContextManager[Any]]] | None = None,
) -> dict[str, list[float]]:
    """Latencies of ``count`` calls per side, run in ``rounds`` with the order rotating;
    ``around`` gives a side a context its batches run in (tracing on or off)."""
    names = list(sides)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        share = count // rounds + (1 if round_index < count % rounds else 0)
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            context = (around or {}).get(name, contextlib.nullcontext)
            with context():
                samples[name] += run_concurrently(sides[name], count=share, concurrency=concurrency)
    return samples


class _Counting:
    """A tracing backend that counts the spans opened and records nothing."""

    def __init__(self) -> None:
        self.opened = 0

    def open(self, name: str, **_: Any) -> tracing.SpanHandle:
        self.opened += 1
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        return tracing.NO_SPAN


def spans_per_submission(handler: Callable[[int], None]) -> int:
    counting = _Counting()
    with tracing.using(counting):
        handler(0)
    return counting.opened


def seconds_per_span_off(calls: int = 200_000) -> float:
    """What one span costs while tracing is off: a ``with span()`` block with an attribute set."""
    with tracing.paused():
        started = time.perf_counter()
        for _ in range(calls):
            with tracing.span("x", attributes=None) as opened:
                opened.set("k", 1)
        return (time.perf_counter() - started) / calls


def _ms(summary: Summary) -> str:
    return f"p50 {summary.p50 * 1000:.1f} ms, p99 {summary.p99 * 1000:.1f} ms"


def submit_latency(bench: Bench) -> list[Row]:
    token = bench.stack.caller_token("Jobs.Submit", lifetime=7200)
    floor, outbox_floor = Floor(bench), OutboxFloor(bench)
    handler = InProcessHandler(bench.stack, token)
    traced_on = tracing.is_enabled()  # function_app started it from the stack's settings
    sides: dict[str, Callable[[int], None]] = {
        "handler": handler,
        "handler_traced": handler,
        "floor": floor,
        "outbox_floor": outbox_floor,
        "noop": JobPoster(bench.stack.api, token, path=NOOP_ROUTE, expect=204),
        "host": bench.poster,
    }
    around = {name: tracing.paused for name in sides if name != "handler_traced"}
    # Steady state: the first calls pay one-time costs (deferred SDK imports, connection
    # pools, tokens, the key) that P1, P3 and P8 measure on their own.
    for name, call in sides.items():
        with around.get(name, contextlib.nullcontext)():
            run_concurrently(call, count=64, concurrency=8)
    per_submission = spans_per_submission(handler)
    per_span = seconds_per_span_off()
    rows: list[Row] = []
    try:
        for concurrency, count in LEVELS:
            samples = interleaved(
                sides,
                count=bench.n(count),
                concurrency=concurrency,
                rounds=P4_ROUNDS,
                around=around,
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
            rows += _tracing_rows(
                concurrency, app, got["handler_traced"], traced_on, per_submission, per_span
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


def _tracing_rows(
    concurrency: int,
    off: Summary,
    traced: Summary,
    traced_on: bool,
    per_submission: int,
    per_span: float,
) -> list[Row]:
    """P4t: the handler traced against itself untraced; P4x: tracing off, priced."""
    ratio = traced.p50 / off.p50
    cost = per_submission * per_span
    return [
        Row(
            f"P4t.c{concurrency}",
            f"the handler with tracing on (spans exported over OTLP), concurrency {concurrency}",
            _ms(traced),
            f"{_ms(off)} (the same handler, tracing off)",
            ratio,
            f"p50 <= {GOAL_TRACED:.2f}x",
            traced_on and ratio <= GOAL_TRACED,
            {"traced": asdict(traced), "off": asdict(off), "tracing_started": traced_on},
        ),
        Row(
            f"P4x.c{concurrency}",
            f"tracing off: {per_submission} do-nothing spans per submission, against its p50",
            f"{cost * 1e6:.2f} us",
            f"p50 {off.p50 * 1000:.1f} ms",
            cost / off.p50,
            f"<= {GOAL_OFF:.3f} of p50",
            cost / off.p50 <= GOAL_OFF,
            {"spans": per_submission, "seconds_per_span": per_span},
        ),
    ]
