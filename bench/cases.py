"""The benchmarks, each a ratio against a baseline measured in the same run.

P1 cold import, P2/P3 vault reads and tokens, P6 a posture run (bench/posture_case.py);
P4, submit latency, is in bench/submit_latency.py, P5, the queue drain, in
bench/queue_drain.py, P7, the host's memory, in bench/host_memory.py, P8, cold start, in
bench/cold_start.py.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict

from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

from bench import progress
from bench.harness import Bench
from bench.load import run_concurrently
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
    """One cold-import row; ``goal`` is the ratio to meet, None for a reported row. The
    sides take turns, one interpreter each, so that the machine's load drifting over the
    run lands on both alike."""
    base_seconds: list[float] = []
    app_seconds: list[float] = []
    for _ in range(runs):
        base_seconds += _import_seconds("import azure.functions", env, 1)
        app_seconds += _import_seconds("import function_app", env, 1)
    baseline, app = Summary.of(base_seconds), Summary.of(app_seconds)
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


#: Interpreters per side for P1, the judged row. With 11, six estimates in a row on one
#: machine read 1.121x to 1.347x (standard deviation 0.083); with 31, 1.137x to 1.166x
#: (0.010): a stalled interpreter or two moved a median of 11 by more than the goal's
#: margin. The reported rows keep 11.
JUDGED_RUNS = 31


def cold_import(bench: Bench, runs: int = 11) -> list[Row]:
    """P1 with the bytecode of both sides cached, as any interpreter keeps it after the
    first import; P1s with the app's modules compiled from source at every start (the
    dependencies keep the bytecode pip wrote), as a read-only package without the app's
    ``__pycache__`` costs. Both with tracing off (no exporter to send to), as the goal is
    set; P1t reports the same import with tracing on (the OpenTelemetry SDK and the OTLP
    exporter load at start-up). ``runs`` is the reported rows' count of interpreters per
    side; P1's is :data:`JUDGED_RUNS` (scaled as every count is)."""
    traced = {**os.environ, **bench.stack.app_env}
    env = {name: value for name, value in traced.items() if name != OTLP_SETTING}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        cached = {**env, "PYTHONPYCACHEPREFIX": cache}
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        _import_seconds("import function_app", cached, 1)  # writes both sides' bytecode
        judged = max(runs, bench.n(JUDGED_RUNS))
        rows = [_cold_import_row("P1", "bytecode cached", cached, judged, goal=1.2)]
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


def vault_reads_and_tokens(bench: Bench, jobs: int = 600, naive_jobs: int = 100) -> list[Row]:
    jobs, naive_jobs = bench.n(jobs), bench.n(naive_jobs)
    gets_before, tokens_before = bench.vault_gets(), bench.tokens()
    half = jobs // 2
    started = time.perf_counter()
    run_concurrently(bench.poster, count=half, concurrency=8)
    progress.note(f"{half} of {jobs} jobs; the key rotated")
    rotate(bench)
    run_concurrently(bench.poster, count=jobs - half, concurrency=8)
    duration = time.perf_counter() - started
    progress.note(f"{jobs} of {jobs} jobs; the naive loop, {naive_jobs} jobs")
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
