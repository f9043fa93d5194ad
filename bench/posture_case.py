"""P6: a full posture run over 1,000 settings and 200 vault secrets (goal: <= 2 s)."""

from __future__ import annotations

import os
import random
import statistics
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING

from azure.keyvault.secrets import SecretClient

from bench.report import Row
from bench.stats import Summary
from posture.context import CheckContext
from posture.runner import run_rules
from tests.support.secret_shapes import ordinary_values

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from bench.cases import Bench

SETTINGS = 1000
SECRETS = 200
RUNS = 5


def _environment(rng: random.Random) -> dict[str, str]:
    env = dict(os.environ)
    values = ordinary_values(rng)
    while len(env) < SETTINGS:
        env[f"BENCH_SETTING_{len(env)}"] = values[len(env) % len(values)]
    return env


def _seed_secrets(vault_url: str, credential: TokenCredential) -> None:
    client = SecretClient(vault_url, credential)
    existing = sum(1 for _ in client.list_properties_of_secrets())

    def create(_: int) -> None:
        client.set_secret(f"bench-{uuid.uuid4().hex[:12]}", uuid.uuid4().hex)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(max(0, SECRETS - existing))))


def run_posture_case(bench: Bench) -> Row:
    stack = bench.stack
    _seed_secrets(stack.endpoints["vault"], bench.credential)
    env = _environment(random.Random(6))
    run_rules(CheckContext(env=env))  # warm: tokens and connections, as a timer's second run
    samples = [run_rules(CheckContext(env=env)).duration_ms / 1000 for _ in range(RUNS)]
    summary = Summary.of(samples)
    median = statistics.median(samples)
    return Row(
        "P6",
        f"full posture run, {len(env)} settings and {SECRETS} vault secrets",
        f"{median:.2f} s (median of {RUNS})",
        "-",
        None,
        "<= 2 s",
        median <= 2.0,
        {"runs": asdict(summary)},
    )
