"""The benchmarks, each a ratio against a baseline measured in the same run.

P1 cold import, P2/P3 vault reads and tokens, P4 submit latency, P6 a posture run
(bench/posture_case.py), P7 host memory; P5, the queue drain, is in bench/queue_drain.py.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict

import requests
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from bench.harness import Bench, HeapProbe
from bench.load import JOB, run_concurrently
from bench.report import Row
from bench.stats import Summary
from devstack.runner import ROOT

TTL_SECONDS = 300.0
#: P6 lives beside the posture checker it measures; absent, the row says so.
POSTURE_CASE = "bench.posture_case"


# -- P1 ------------------------------------------------------------------------------


def _import_seconds(statement: str, env: dict[str, str], runs: int) -> list[float]:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return samples


def cold_import(bench: Bench, runs: int = 11) -> Row:
    env = {**os.environ, **bench.stack.app_env}
    baseline = Summary.of(_import_seconds("import azure.functions", env, runs))
    app = Summary.of(_import_seconds("import function_app", env, runs))
    ratio = app.median / baseline.median
    return Row(
        "P1",
        "cold import of function_app (median of 11 fresh interpreters)",
        f"{app.median * 1000:.0f} ms",
        f"{baseline.median * 1000:.0f} ms (import azure.functions)",
        ratio,
        "<= 1.3x",
        ratio <= 1.3,
        {"app": asdict(app), "baseline": asdict(baseline)},
    )


# -- P2 and P3 -----------------------------------------------------------------------


def _naive(bench: Bench, count: int) -> tuple[int, int, float]:
    """Per job: a new credential, a new SecretClient, one get_secret (the anti-pattern)."""
    name = bench.stack.endpoints["partner_secret_name"]
    gets, tokens = bench.vault_gets(), sum(bench.tokens().values())
    started = time.perf_counter()
    with bench.stack.as_app():
        for _ in range(count):
            credential = DefaultAzureCredential()
            SecretClient(bench.stack.endpoints["vault"], credential).get_secret(name)
            credential.close()
    elapsed = time.perf_counter() - started
    return bench.vault_gets() - gets, sum(bench.tokens().values()) - tokens, elapsed


def vault_reads_and_tokens(bench: Bench, jobs: int = 2000, naive_jobs: int = 200) -> list[Row]:
    jobs, naive_jobs = bench.n(jobs), bench.n(naive_jobs)
    gets_before, tokens_before = bench.vault_gets(), bench.tokens()
    half = jobs // 2
    started = time.perf_counter()
    run_concurrently(bench.poster, count=half, concurrency=8)
    rotate(bench)
    run_concurrently(bench.poster, count=jobs - half, concurrency=8)
    duration = time.perf_counter() - started
    app_gets = bench.vault_gets() - gets_before
    tokens_after = bench.tokens()
    app_tokens = {aud: tokens_after.get(aud, 0) - tokens_before.get(aud, 0) for aud in tokens_after}
    naive_gets, naive_tokens, naive_time = _naive(bench, naive_jobs)
    scale = jobs / naive_jobs
    windows = math.ceil(duration / TTL_SECONDS)
    allowed_gets = windows + 1
    p2 = Row(
        "P2",
        f"Key Vault GETs for {jobs} jobs (1 rotation mid-run)",
        str(app_gets),
        f"{naive_gets * scale:.0f} naive (measured on {naive_jobs}, scaled)",
        app_gets / max(1.0, naive_gets * scale),
        f"<= {allowed_gets} ({windows} TTL window(s) + 1 rotation)",
        app_gets <= allowed_gets,
        {"duration_s": duration, "naive_gets": naive_gets, "naive_s": naive_time},
    )
    lifetimes = max(1, math.ceil(duration / 3600))
    worst = max(app_tokens.values(), default=0)
    p3 = Row(
        "P3",
        f"identity-endpoint token requests for {jobs} jobs",
        json.dumps(app_tokens, sort_keys=True),
        f"{naive_tokens * scale:.0f} naive",
        sum(app_tokens.values()) / max(1.0, naive_tokens * scale),
        "<= 1 per audience per token lifetime",
        worst <= lifetimes,
        {"naive_tokens": naive_tokens},
    )
    return [p2, p3]


def rotate(bench: Bench) -> None:
    """Give the partner key a new value, as an operator rotating it would."""
    name = bench.stack.endpoints["partner_secret_name"]
    with bench.stack.as_app():
        client = SecretClient(bench.stack.endpoints["vault"], bench.credential)
        client.set_secret(name, secrets.token_urlsafe(32))


# -- P4 ------------------------------------------------------------------------------

#: P4 runs on a stack of its own with the worker switched off, so the API's latency is
#: measured alone: on a 2-core machine a worker draining the same jobs at the same time
#: would take CPU from the API (and not from the floor, whose messages nobody reads).
P4_SETTINGS = {"AzureWebJobs.process_job.Disabled": "true"}


class _Floor:
    """The raw work of a submission, done directly with the SDKs: the partner call and the
    enqueue (the goal's floor), and optionally the job-state write the product also makes
    before it enqueues (so that a job it answered 202 for can be read and is never lost)."""

    def __init__(self, bench: Bench, *, with_state: bool) -> None:
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
        self.jobs = bench.blobs.get_container_client("jobs") if with_state else None
        self.ca = bench.ca
        self._local = threading.local()

    def __call__(self, _: int) -> None:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        job_id = str(uuid.uuid4())
        response = session.post(
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
        if self.jobs is not None:
            state = {"id": job_id, "status": "queued", "analysis": response.json()}
            self.jobs.upload_blob(f"bench-floor/{job_id}.json", json.dumps(state))
        self.queue.send_message(json.dumps({"job_id": job_id}))

    def close(self) -> None:
        self.queue.delete_queue()


#: Each concurrency level is split into rounds, and the sides take turns within each round
#: in a rotating order, so that the stack drifting (Azurite slows as it fills) or a noisy
#: neighbour lands on every side alike instead of on whichever runs last.
P4_ROUNDS = 5


def interleaved(
    sides: dict[str, Callable[[int], None]], *, count: int, concurrency: int, rounds: int
) -> dict[str, list[float]]:
    """Latencies of ``count`` calls per side, run in ``rounds`` with the order rotating."""
    names = list(sides)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        share = count // rounds + (1 if round_index < count % rounds else 0)
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name] += run_concurrently(sides[name], count=share, concurrency=concurrency)
    return samples


def submit_latency(bench: Bench) -> list[Row]:
    floors = {
        "P4": (_Floor(bench, with_state=False), "raw partner + enqueue"),
        "P4s": (_Floor(bench, with_state=True), "raw partner + state write + enqueue"),
    }
    sides: dict[str, Callable[[int], None]] = {ident: floor for ident, (floor, _) in floors.items()}
    sides["app"] = bench.poster
    rows = []
    # Steady state: the first requests pay one-time costs (SDK imports deferred for cold
    # start, connection pools, token fetches) that P1 and P3 measure on their own.
    for call in sides.values():
        run_concurrently(call, count=64, concurrency=8)
    try:
        for concurrency, count in ((1, 150), (8, 400), (32, 640)):
            samples = interleaved(
                sides, count=bench.n(count), concurrency=concurrency, rounds=P4_ROUNDS
            )
            app = Summary.of(samples["app"])
            for ident, (_, label) in floors.items():
                base = Summary.of(samples[ident])
                p50, p99 = app.p50 / base.p50, app.p99 / base.p99
                rows.append(
                    Row(
                        f"{ident}.c{concurrency}",
                        f"POST /api/jobs latency at concurrency {concurrency}",
                        f"p50 {app.p50 * 1000:.0f} ms, p99 {app.p99 * 1000:.0f} ms",
                        f"p50 {base.p50 * 1000:.0f} ms, p99 {base.p99 * 1000:.0f} ms ({label})",
                        p50,
                        "p50 <= 1.2x, p99 <= 1.5x",
                        p50 <= 1.2 and p99 <= 1.5,
                        {"app": asdict(app), "floor": asdict(base), "p99_ratio": p99},
                    )
                )
    finally:
        for floor, _ in floors.values():
            floor.close()
    return rows


# -- P6 ------------------------------------------------------------------------------


def posture_run(bench: Bench) -> Row:
    import importlib

    try:
        module = importlib.import_module(POSTURE_CASE)
    except ImportError:
        return Row(
            "P6",
            "full posture run, 1,000 settings and 200 vault secrets",
            "-",
            "-",
            None,
            "<= 2 s",
            None,
            {"note": "posture checker not present"},
        )
    row: Row = module.run_posture_case(bench)
    return row


# -- P7 ------------------------------------------------------------------------------


def host_memory(
    bench: Bench,
    first: int = 1000,
    total: int = 10_000,
    *,
    points: int = 4,
    heap: HeapProbe | None = None,
) -> Row:
    """Host RSS after ``first`` jobs and after ``total``, with readings in between.

    The readings in between show whether growth per job is steady (a leak) or falling
    (the allocator settling). RSS is read as soon as the jobs are accepted: waiting for
    the worker to drain them was measured to change no reading (glibc keeps what it
    grew), and Azurite in memory slows down as it fills, so it would only lengthen the run.
    P7 runs on a stack of its own: Azurite in memory slows down with every job it
    holds, and after the other cases it stalled requests for minutes.
    """
    first, total = bench.n(first), bench.n(total)
    marks = [first + (total - first) * step // points for step in range(points + 1)]
    curve: list[tuple[int, int]] = []
    traced: list[int] = []
    done = 0
    for mark in marks:
        run_concurrently(bench.poster, count=mark - done, concurrency=16)
        done = mark
        curve.append((done, bench.host_rss_kib()))
        line = f"bench: P7 {done} jobs, host RSS {curve[-1][1] / 1024:.0f} MiB"
        if heap is not None:
            traced.append(heap.traced_kib(bench.host_pid()))
            line += f", Python objects {traced[-1] / 1024:.1f} MiB"
        print(line, flush=True)
    after_first, after_total = curve[0][1], curve[-1][1]
    growth = after_total / after_first
    per_thousand = [
        round((rss - previous_rss) / 1024 / ((jobs - previous_jobs) / 1000), 2)
        for (previous_jobs, previous_rss), (jobs, rss) in itertools.pairwise(curve)
    ]
    return Row(
        "P7",
        f"host memory after {total} jobs vs after {first}",
        f"{after_total / 1024:.0f} MiB",
        f"{after_first / 1024:.0f} MiB",
        growth,
        "growth <= 10%",
        growth <= 1.10,
        {
            "rss_kib_first": after_first,
            "rss_kib_total": after_total,
            "curve": [{"jobs": jobs, "rss_kib": rss} for jobs, rss in curve],
            "mib_per_1000_jobs": per_thousand,
            **({"python_heap_kib": traced} if traced else {}),
        },
    )
