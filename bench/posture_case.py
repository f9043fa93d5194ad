"""P6: a full posture run over 1,000 settings and 200 vault secrets (goal: <= 2 s)."""

from __future__ import annotations

import base64
import json
import os
import random
import statistics
import string
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING

from azure.keyvault.secrets import SecretClient

from bench.report import Row
from bench.stats import Summary
from posture.context import CheckContext
from posture.runner import run_rules

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from bench.harness import Bench

SETTINGS = 1000
SECRETS = 200
RUNS = 5


def _name(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(3, 12)))


def _ordinary(rng: random.Random) -> str:
    """One value of the kinds app settings hold when nothing is wrong (no secret shape)."""
    guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    makers: list[Callable[[], str]] = [
        lambda: f"https://{_name(rng)}.{rng.choice(['blob', 'queue'])}.core.windows.net/",
        lambda: (
            f"https://{_name(rng)}.vault.azure.net/secrets/{_name(rng)}/{guid.replace('-', '')}"
        ),
        lambda: f"@Microsoft.KeyVault(SecretUri=https://{_name(rng)}.vault.azure.net/secrets/x/)",
        lambda: guid,
        lambda: base64.b64encode(rng.randbytes(rng.choice([16, 24, 32, 48]))).decode(),
        lambda: base64.b64encode(json.dumps({_name(rng): guid}).encode()).decode(),
        lambda: f"{rng.getrandbits(256):064x}",
        lambda: rng.choice(["0 0 3 * * *", "*/30 * * * * *", "~4", "3.11.7", "managedidentity"]),
        lambda: f"/home/site/wwwroot/{_name(rng)}/{_name(rng)}.py",
        lambda: f"Authorization=AAD;ClientId={guid}",
        lambda: json.dumps({"queue": _name(rng), "retries": rng.randint(1, 9)}),
    ]
    return rng.choice(makers)()


def _environment(rng: random.Random) -> dict[str, str]:
    env = dict(os.environ)
    values = [_ordinary(rng) for _ in range(1000)]
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
