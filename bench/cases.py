"""The benchmarks P1-P7, each a ratio against a baseline measured in the same run."""

from __future__ import annotations

import itertools
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from bench.load import JOB, JobPoster, run_concurrently
from bench.report import Row
from bench.stats import Summary
from devstack.runner import ROOT, RunningStack
from devstack.tokens import IssuerCredential
from shared.jobs.model import COMPLETED, JobRecord, request_hash
from shared.jobs.store import JobStore

TTL_SECONDS = 300.0
#: P6 lives beside the posture checker it measures; absent, the row says so.
POSTURE_CASE = "bench.posture_case"


class Bench:
    """What every case needs: the stack, a caller token, counters."""

    def __init__(self, stack: RunningStack, *, scale: float = 1.0) -> None:
        self.stack = stack
        self.scale = scale
        self.ca = stack.ca_bundle
        self.poster = JobPoster(stack.api, stack.caller_token("Jobs.Submit", lifetime=7200))
        self.credential = IssuerCredential(stack.issuer())
        # The baselines run in this process as the app would: with the app's settings.
        os.environ.update(stack.app_env)
        self.blobs = BlobServiceClient(
            stack.endpoints["blob"], self.credential, connection_verify=self.ca
        )

    def n(self, count: int) -> int:
        return max(10, int(count * self.scale))

    def vault_gets(self) -> int:
        return int(self.stack.stats("vault").get("get_secret", 0))

    def tokens(self) -> dict[str, int]:
        stats = self.stack.stats("identity")
        return {k: int(v) for k, v in stats["tokens_issued"].items()}

    def host_pid(self) -> int:
        return _host_pid(int(self.stack.endpoints["pid"]))

    def host_rss_kib(self) -> int:
        for line in Path(f"/proc/{self.host_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS not found")


class HeapProbe:
    """Bytes held by Python objects in the host, read through ``bench/heaptrace``.

    The host must run with the settings from :meth:`settings` (tracemalloc on, which
    slows it about twofold, hence opt-in: ``python -m bench --trace-heap``).
    """

    SITE = Path(__file__).resolve().parent / "heaptrace"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._reads = 0

    def settings(self) -> dict[str, str]:
        return {
            "PYTHONTRACEMALLOC": "1",
            "PYTHONPATH": str(self.SITE),
            "BENCH_HEAP_DIR": str(self.directory),
        }

    def traced_kib(self, pid: int, timeout: float = 60.0) -> int:
        """Ask process ``pid`` (started with :meth:`settings`) for its traced bytes."""
        self._reads += 1
        target = self.directory / f"heap-{self._reads}.json"
        os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while not target.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the host wrote no heap reading (was it started traced?)")
            time.sleep(0.1)
        return int(json.loads(target.read_text())["traced_bytes"]) // 1024


def wait_for_drain(bench: Bench, *, timeout: float = 600.0) -> None:
    """Wait until the jobs queue is empty (messages in flight count as not done)."""
    from azure.core.exceptions import AzureError

    queue = QueueClient(
        bench.stack.endpoints["queue"],
        "jobs",
        credential=bench.credential,
        connection_verify=bench.ca,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not queue.get_queue_properties().approximate_message_count:
                return
        except AzureError as exc:  # a busy Azurite answers late; the deadline still holds
            print(f"bench: queue length not read ({type(exc).__name__}), retrying", flush=True)
        if time.monotonic() > deadline:
            raise RuntimeError("the jobs queue did not drain")
        time.sleep(0.5)


def _host_pid(stack_pid: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == stack_pid and b"devstack.host" in cmdline:
            return int(entry.name)
    raise RuntimeError("the function host process was not found")


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


def p1_cold_import(bench: Bench, runs: int = 11) -> Row:
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


def p2_p3_vault_and_tokens(bench: Bench, jobs: int = 2000, naive_jobs: int = 200) -> list[Row]:
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


def p4_latency(bench: Bench) -> list[Row]:
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


# -- P5 ------------------------------------------------------------------------------


def _seed_jobs(bench: Bench, count: int) -> list[str]:
    blobs = bench.blobs.get_container_client("jobs")
    body = {"text": JOB.decode()}
    ids = [str(uuid.uuid4()) for _ in range(count)]

    def seed(index: int) -> None:
        record = JobRecord(
            id=ids[index],
            owner="bench",
            status="queued",
            input=body,
            request_hash=request_hash(body),
            analysis={"analysis_id": str(uuid.uuid4()), "language": "en"},
        )
        blobs.upload_blob(f"{record.id}.json", json.dumps(asdict(record)))

    run_concurrently(seed, count=count, concurrency=16)
    return ids


def _completion_rate(bench: Bench, ids: list[str]) -> float:
    """Jobs per second between the first and the last completion, from the results' own
    timestamps: steady-state throughput, the same yardstick for the host and the raw loop."""
    results = bench.blobs.get_container_client("results")
    stamps: list[float] = [0.0] * len(ids)

    def read(index: int) -> None:
        result = json.loads(results.download_blob(f"{ids[index]}.json").readall())
        stamps[index] = datetime.fromisoformat(result["completed"]).timestamp()

    run_concurrently(read, count=len(ids), concurrency=16)
    return (len(ids) - 1) / max(1e-3, max(stamps) - min(stamps))


def _raw_drain(bench: Bench, ids: list[str]) -> None:
    """Receive, process exactly as the worker does, delete: the SDK loop with 16 threads."""
    from blueprints.worker import compute_result

    store = JobStore(
        jobs=bench.blobs.get_container_client("jobs"),
        results=bench.blobs.get_container_client("results"),
    )
    queue = QueueClient(
        bench.stack.endpoints["queue"],
        "bench-raw",
        credential=bench.credential,
        connection_verify=bench.ca,
    )
    queue.create_queue()
    for job_id in ids:
        queue.send_message(job_id)
    done = 0

    def handle(message: Any) -> None:
        found = store.get(message.content)
        if found is None:
            raise RuntimeError("job missing")
        record = store.update(found[0].id, lambda r: r.evolve(status="processing"))
        if record is None:
            raise RuntimeError("job missing")
        name = store.write_result(record.id, compute_result(record))
        store.update(record.id, lambda r: r.evolve(status=COMPLETED, result=name))
        queue.delete_message(message)

    with ThreadPoolExecutor(max_workers=16) as pool:
        while done < len(ids):
            batch = list(queue.receive_messages(max_messages=16, visibility_timeout=600))
            list(pool.map(handle, batch))
            done += len(batch)
    queue.delete_queue()


def _host_drain(bench: Bench, ids: list[str]) -> None:
    """Queue every job for the host's worker, all visible at the same moment (sent with a
    delay), so the host drains a full queue as the raw loop does."""
    queue = QueueClient(
        bench.stack.endpoints["queue"],
        "jobs",
        credential=bench.credential,
        connection_verify=bench.ca,
        message_encode_policy=TextBase64EncodePolicy(),
    )
    visible_at = time.time() + 5 + len(ids) / 100

    def send(i: int) -> None:
        delay = max(1, math.ceil(visible_at - time.time()))
        queue.send_message(
            json.dumps({"schema": "jobs.v1", "job_id": ids[i]}), visibility_timeout=delay
        )

    run_concurrently(send, count=len(ids), concurrency=16)
    deadline = time.monotonic() + 600
    while queue.get_queue_properties().approximate_message_count:
        if time.monotonic() > deadline:
            raise RuntimeError("the host did not drain the queue within 10 minutes")
        time.sleep(0.5)


def p5_drain(bench: Bench, count: int = 500) -> Row:
    count = bench.n(count)
    raw_ids = _seed_jobs(bench, count)
    _raw_drain(bench, raw_ids)
    raw_rate = _completion_rate(bench, raw_ids)
    host_ids = _seed_jobs(bench, count)
    _host_drain(bench, host_ids)
    host_rate = _completion_rate(bench, host_ids)
    ratio = host_rate / raw_rate
    return Row(
        "P5",
        f"queue drain of {count} jobs through the host",
        f"{host_rate:.0f} jobs/s",
        f"{raw_rate:.0f} jobs/s (raw SDK loop, 16 threads)",
        ratio,
        ">= 0.8x",
        ratio >= 0.8,
        {"host_jobs_per_s": host_rate, "raw_jobs_per_s": raw_rate},
    )


# -- P6 ------------------------------------------------------------------------------


def p6_posture(bench: Bench) -> Row:
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


def p7_memory(
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
