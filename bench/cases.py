"""The benchmarks, each a ratio against a baseline measured in the same run.

P1 cold import, P2/P3 vault reads and tokens, P6 a posture run (bench/posture_case.py),
P7 host memory; P4, submit latency, is in bench/submit_latency.py, P5, the queue drain, in
bench/queue_drain.py, P8, cold start, in bench/cold_start.py.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict

import requests
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

from bench.harness import Bench, HeapProbe, wait_for_drain
from bench.load import JobPoster, LoadError, run_concurrently
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


def _cold_import_row(
    ident: str, what: str, env: dict[str, str], runs: int, *, goal: float | None
) -> Row:
    """One cold-import row; ``goal`` is the ratio to meet, None for a reported row."""
    baseline = Summary.of(_import_seconds("import azure.functions", env, runs))
    app = Summary.of(_import_seconds("import function_app", env, runs))
    ratio = app.median / baseline.median
    return Row(
        ident,
        f"cold import of function_app, {what} (median of {runs} fresh interpreters)",
        f"{app.median * 1000:.0f} ms",
        f"{baseline.median * 1000:.0f} ms (import azure.functions)",
        ratio,
        "reported" if goal is None else f"<= {goal}x",
        None if goal is None else ratio <= goal,
        {"app": asdict(app), "baseline": asdict(baseline)},
    )


#: The setting that turns tracing on (the devstack points it at its control plane).
OTLP_SETTING = "OTEL_EXPORTER_OTLP_ENDPOINT"


def cold_import(bench: Bench, runs: int = 11) -> list[Row]:
    """P1 with the bytecode of both sides cached, as any interpreter keeps it after the
    first import; P1s with the app's modules compiled from source at every start (the
    dependencies keep the bytecode pip wrote), as a read-only package without the app's
    ``__pycache__`` costs. Both with tracing off (no exporter to send to), as the goal is
    set; P1t reports the same import with tracing on (the OpenTelemetry SDK and the OTLP
    exporter load at start-up)."""
    traced = {**os.environ, **bench.stack.app_env}
    env = {name: value for name, value in traced.items() if name != OTLP_SETTING}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        cached = {**env, "PYTHONPYCACHEPREFIX": cache}
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        _import_seconds("import function_app", cached, 1)  # writes both sides' bytecode
        rows = [_cold_import_row("P1", "bytecode cached", cached, runs, goal=1.3)]
        traced_cached = {**cached, OTLP_SETTING: traced[OTLP_SETTING]}
        _import_seconds("import function_app", traced_cached, 1)
        rows.append(
            _cold_import_row("P1t", "tracing on, bytecode cached", traced_cached, runs, goal=None)
        )
    source = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    source.pop("PYTHONPYCACHEPREFIX", None)
    rows.append(_cold_import_row("P1s", "the app's modules from source", source, runs, goal=None))
    return rows


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


#: The goal: the Python objects the host holds grow by at most this from 1k to 10k jobs.
HEAP_GROWTH_GOAL = 1.02
#: Share of P7's submissions that may fail (503 from a starved Azurite) before it gives up.
MAX_REFUSED = 0.05


def host_memory(
    bench: Bench,
    heap: HeapProbe,
    first: int = 1000,
    total: int = 10_000,
    *,
    points: int = 4,
) -> list[Row]:
    """The host's Python heap after ``first`` jobs and after ``total`` (the goal), with its
    RSS beside it, and readings in between.

    The heap is what tracemalloc counts after a garbage collection (``bench/heaptrace``):
    objects the app or the host keep. RSS also counts what the C allocator took from the
    kernel and keeps (glibc's arenas grow to a high-water mark per thread and are not
    trimmed), so it rises for a few thousand jobs while the heap is flat: reported, not
    judged. Readings in between show whether growth per job is steady (a leak) or falling;
    each is taken once the worker has drained the queue.
    The host runs traced (about twice as slow), so its RSS is not comparable with an
    untraced run. P7 runs on a stack of its own: Azurite in memory slows down with every
    job it holds.
    """
    first, total = bench.n(first), bench.n(total)
    marks = [first + (total - first) * step // points for step in range(points + 1)]
    curve: list[tuple[int, int, int]] = []
    done = 0
    # The traced host, with Azurite filling up, can take minutes on a busy machine: this
    # case measures memory, not latency, so a request may wait as long as it needs.
    token = bench.stack.caller_token("Jobs.Submit", lifetime=7200)
    poster = JobPoster(bench.stack.api, token, timeout=600)
    refused: Counter[str] = Counter()

    def submit(index: int) -> None:
        # A busy machine can slow Azurite past the app's storage retries, and the app then
        # answers 503 as it should: the request still ran the code whose memory is
        # measured, so it is counted and reported rather than ending the case.
        try:
            poster(index)
        except (LoadError, requests.RequestException) as exc:
            refused[str(exc) if isinstance(exc, LoadError) else type(exc).__name__] += 1

    for mark in marks:
        run_concurrently(submit, count=mark - done, concurrency=16)
        done = mark
        # Read once the worker has drained the queue: objects of invocations still in
        # flight are not what the host keeps.
        wait_for_drain(bench, timeout=1800)
        rss, traced = bench.host_rss_kib(), heap.traced_kib(bench.host_pid())
        curve.append((done, traced, rss))
        print(
            f"bench: P7 {done} jobs, Python heap {traced / 1024:.2f} MiB, RSS {rss / 1024:.0f} MiB",
            flush=True,
        )
    if sum(refused.values()) > total * MAX_REFUSED:
        raise LoadError(f"P7: {sum(refused.values())} of {total} submissions failed: {refused}")
    heap_growth = curve[-1][1] / curve[0][1]
    rss_growth = curve[-1][2] / curve[0][2]
    details = {
        "refused": dict(refused),
        "curve": [{"jobs": jobs, "heap_kib": h, "rss_kib": r} for jobs, h, r in curve],
        "heap_kib_per_1000_jobs": [
            round((later[1] - earlier[1]) / ((later[0] - earlier[0]) / 1000), 1)
            for earlier, later in itertools.pairwise(curve)
        ],
        "rss_mib_per_1000_jobs": [
            round((later[2] - earlier[2]) / 1024 / ((later[0] - earlier[0]) / 1000), 2)
            for earlier, later in itertools.pairwise(curve)
        ],
    }
    return [
        Row(
            "P7",
            f"host Python heap (tracemalloc) after {total} jobs vs after {first}"
            + (f" ({sum(refused.values())} submissions failed)" if refused else ""),
            f"{curve[-1][1] / 1024:.2f} MiB",
            f"{curve[0][1] / 1024:.2f} MiB",
            heap_growth,
            f"growth <= {HEAP_GROWTH_GOAL - 1:.0%}",
            heap_growth <= HEAP_GROWTH_GOAL,
            details,
        ),
        Row(
            "P7r",
            f"host RSS after {total} jobs vs after {first} (traced host)",
            f"{curve[-1][2] / 1024:.0f} MiB",
            f"{curve[0][2] / 1024:.0f} MiB",
            rss_growth,
            "reported (the allocator settling)",
            None,
            {},
        ),
    ]
