"""P8: cold start, the product against the naive pattern it improves on (bench/naive_app).

Each run starts a fresh devstack host for one app on a stack of P8's own (Azurite, the
vault, the identity endpoint and the partner stub, no host of the stack's own), and times
from the moment the host process is started until it answers (its functions indexed), to
the first ``202`` for ``POST /api/jobs``, and to that job's ``completed`` state, read from
its state blob, which both apps write in the same layout. The apps take turns, so a noisy
neighbour lands on both. The times are reported, not judged: the devstack host imports
azure-identity and the Storage SDK itself before it loads an app, so the product's deferred
imports (P1) cannot show here, and the local vault and identity endpoint answer in about a
millisecond, so the naive app's extra calls cost little time; in Azure each is a network
round trip.

What is judged is what the first request costs the services: vault reads and token
requests, counted on the control plane in runs of their own with both apps' queue
functions switched off (the devstack host's queue listeners ask the identity endpoint for
storage tokens of their own, which in Azure are the Functions host's and would blur the
app's count). Counted from host start to the first ``202``, so the naive app's read at
import is in its count.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import progress
from bench.harness import Bench
from bench.load import JOB
from bench.report import Row
from devstack.options import StackOptions, devstack_host_argv
from devstack.ports import free_port
from devstack.processes import die_with_parent
from devstack.runner import ROOT, stop_process

NAIVE_APP = Path(__file__).resolve().parent / "naive_app"
APPS = {"product": ROOT, "naive": NAIVE_APP}
#: Queue-triggered functions of each app, switched off for the counting runs.
QUEUE_FUNCTIONS = {
    "product": ("process_job", "record_poisoned_job", "rotate_on_event"),
    "naive": ("naive_worker",),
}
TIMED_RUNS = 5
#: Both apps' queue listeners poll every 100 ms at most, so the time to the first completed
#: job measures the apps rather than where a listener's back-off happened to be.
P8_SETTINGS = {"AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.100"}
DEADLINE_S = 180.0
POLL_S = 0.02


@dataclass(frozen=True, slots=True)
class ColdStart:
    listening_s: float
    first_202_s: float
    completed_s: float | None
    vault_gets: int
    tokens: dict[str, int]


@contextmanager
def _host(bench: Bench, app: str, work: Path, extra: dict[str, str]) -> Iterator[str]:
    """A devstack host for ``app`` on the bench's stack; yields its API base. The clock
    starts in the caller, just before this is entered."""
    stack = bench.stack
    port = free_port()
    argv = devstack_host_argv(
        StackOptions(app_dir=APPS[app], state_dir=work, audience=str(stack.endpoints["audience"])),
        app_dir=APPS[app],
        port=port,
        state_dir=work / "host",
        issuer=str(stack.endpoints["issuer"]),
        jwks_url=str(stack.endpoints["jwks"]),
    )
    env = {**stack.app_env, **extra, "PYTHONPATH": str(ROOT)}  # as the stack starts its host
    log = work / f"{app}-host.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=APPS[app],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),  # a bench killed outright takes its host along
        )
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        stop_process(process)


def _listening(api: str, started: float) -> float:
    """Seconds from host start until the host answers (its functions are indexed by then)."""
    ping = api.removesuffix("/api") + "/admin/host/ping"
    while time.perf_counter() - started < DEADLINE_S:
        try:
            if requests.get(ping, timeout=5).status_code == 200:
                return time.perf_counter() - started
        except requests.ConnectionError:
            pass
        time.sleep(POLL_S)
    raise RuntimeError(f"{ping} did not answer within {DEADLINE_S:.0f} s")


def _first_202(api: str, token: str, started: float) -> tuple[float, str]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = requests.post(f"{api}/jobs", data=JOB, headers=headers, timeout=60)
    if response.status_code != 202:
        raise RuntimeError(f"the first POST /api/jobs answered {response.status_code}")
    return time.perf_counter() - started, str(response.json()["id"])


def _completed(bench: Bench, job_id: str, started: float) -> float:
    blob = bench.blobs.get_blob_client("jobs", f"{job_id}.json")
    while time.perf_counter() - started < DEADLINE_S:
        if json.loads(blob.download_blob().readall()).get("status") == "completed":
            return time.perf_counter() - started
        time.sleep(POLL_S * 2)
    raise RuntimeError(f"job {job_id} not completed within {DEADLINE_S:.0f} s")


def cold_start(bench: Bench, app: str, work: Path, *, count_calls: bool) -> ColdStart:
    """One cold start of ``app``; with ``count_calls`` its queue functions are off and the
    vault reads and tokens from host start to the first ``202`` are counted."""
    token = bench.stack.caller_token("Jobs.Submit", lifetime=3600)
    extra = (
        {f"AzureWebJobs.{name}.Disabled": "true" for name in QUEUE_FUNCTIONS[app]}
        if count_calls
        else {}
    )
    gets_before, tokens_before = bench.vault_gets(), bench.tokens()
    started = time.perf_counter()
    with _host(bench, app, work, extra) as api:
        listening = _listening(api, started)
        first, job_id = _first_202(api, token, started)
        gets, tokens_after = bench.vault_gets() - gets_before, bench.tokens()
        completed = None if count_calls else _completed(bench, job_id, started)
    if count_calls:  # nobody will take the message: leave an empty queue to the next run
        bench.stack.queue_service().get_queue_client("jobs").clear_messages()
    tokens = {
        aud: n - tokens_before.get(aud, 0)
        for aud, n in tokens_after.items()
        if n != tokens_before.get(aud, 0)
    }
    return ColdStart(listening, first, completed, gets, tokens)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def cold_starts(bench: Bench, work: Path) -> list[Row]:
    timed: dict[str, list[ColdStart]] = {app: [] for app in APPS}
    order = list(APPS)
    for index in range(TIMED_RUNS):
        for app in order if index % 2 == 0 else order[::-1]:
            run = cold_start(bench, app, work, count_calls=False)
            timed[app].append(run)
            progress.note(
                f"run {index + 1} of {TIMED_RUNS}, {app}: listening after "
                f"{run.listening_s:.2f} s, first 202 after {run.first_202_s:.2f} s, "
                f"completed after {run.completed_s or 0:.2f} s"
            )
    counted = {app: cold_start(bench, app, work, count_calls=True) for app in APPS}
    first = {app: _median([r.first_202_s for r in runs]) for app, runs in timed.items()}
    listening = {app: _median([r.listening_s for r in runs]) for app, runs in timed.items()}
    done = {app: _median([r.completed_s or 0.0 for r in runs]) for app, runs in timed.items()}
    product, naive = counted["product"], counted["naive"]
    product_tokens = max(product.tokens.values(), default=0)
    details = {
        app: {
            "listening_s": [r.listening_s for r in runs],
            "first_202_s": [r.first_202_s for r in runs],
            "completed_s": [r.completed_s for r in runs],
            "vault_gets_to_first_202": counted[app].vault_gets,
            "tokens_to_first_202": counted[app].tokens,
        }
        for app, runs in timed.items()
    }

    def split(app: str) -> str:
        return f"{first[app]:.2f} s ({listening[app]:.2f} s to listening)"

    return [
        Row(
            "P8",
            f"cold start: host start to first 202 (median of {TIMED_RUNS})",
            split("product"),
            f"{split('naive')}, naive app: key read at import, clients per request",
            first["product"] / first["naive"],
            "reported",
            None,
            details,
        ),
        Row(
            "P8c",
            f"cold start: host start to first completed job (median of {TIMED_RUNS})",
            f"{done['product']:.2f} s",
            f"{done['naive']:.2f} s (naive app)",
            done["product"] / done["naive"],
            "reported",
            None,
            {},
        ),
        Row(
            "P8v",
            "vault reads and token requests, host start to first 202",
            f"{product.vault_gets} GET, tokens {json.dumps(product.tokens, sort_keys=True)}",
            f"{naive.vault_gets} GET, tokens {json.dumps(naive.tokens, sort_keys=True)} (naive)",
            None,
            "1 GET, 1 token per audience",
            product.vault_gets == 1 and product_tokens == 1,
            {},
        ),
    ]
