"""P2e, P3e and P8e: what P2, P3 and P8 measure, with ``PARTNER_AUTH=entra``.

docs/partner-entra.md says what that mode is.

On a stack of their own started with ``--partner-auth entra``: the vault holds nothing and
the partner takes a token from its tenant, exchanged for the managed identity's assertion.

- P2e: Key Vault requests for N jobs: none may happen at all.
- P3e: assertions the identity endpoint issues for ``api://AzureADTokenExchange`` and token
  requests the partner's tenant answers, for N jobs with one revocation mid-run (the
  partner refuses every token it has seen, as P2's rotation refuses the old key): at most
  one of each per token lifetime, plus the one new token the refusal costs. The baseline
  is the naive pattern measured in the same run: a new credential chain per job (one
  assertion and one exchange each), scaled.
- P8e: the product's cold start on that stack, host start to the first ``202``, against the
  key mode's P8 in the same run; and what the first request costs the services: no vault
  read, one token per audience (the assertion among them), one exchange.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.cold_start import TIMED_RUNS, ColdStart, cold_start
from bench.harness import Bench
from bench.load import run_concurrently
from bench.report import Row

EXCHANGE = "api://AzureADTokenExchange"
LIFETIME_SECONDS = 3600  # the devstack's token lifetime, Entra's usual one


def tenant_requests(bench: Bench) -> int:
    return int(bench.stack.stats("tenant")["token_requests"])


def revoke(bench: Bench) -> int:
    """The partner refuses every token it has seen from now on."""
    answer = requests.post(
        f"{bench.stack.endpoints['partner']}/devstack/revoke-tokens",
        verify=bench.ca,
        timeout=10,
    )
    answer.raise_for_status()
    return int(answer.json()["revoked"])


def _naive(bench: Bench, count: int) -> tuple[int, int]:
    """Per job a new credential chain, as code that builds its credential per request does:
    (assertions, exchanges) it costs."""
    from shared.federation import token_provider
    from shared.settings import load_settings

    assertions, exchanges = bench.tokens().get(EXCHANGE, 0), tenant_requests(bench)
    with bench.stack.as_app() as env:
        entra = load_settings(env).entra
        assert entra is not None, "the bench's entra stack runs without PARTNER_AUTH=entra"
        for _ in range(count):
            tokens = token_provider(entra)
            tokens.get()
            tokens.close()
    return bench.tokens().get(EXCHANGE, 0) - assertions, tenant_requests(bench) - exchanges


def reads_and_tokens(bench: Bench, jobs: int = 2000, naive_jobs: int = 100) -> list[Row]:
    """P2e and P3e."""
    jobs, naive_jobs = bench.n(jobs), bench.n(naive_jobs)
    vault_before = int(bench.stack.stats("vault")["total"])
    tokens_before, exchanges_before = bench.tokens(), tenant_requests(bench)
    half = jobs // 2
    started = time.perf_counter()
    run_concurrently(bench.poster, count=half, concurrency=8)
    revoked = revoke(bench)
    run_concurrently(bench.poster, count=jobs - half, concurrency=8)
    duration = time.perf_counter() - started
    vault = int(bench.stack.stats("vault")["total"]) - vault_before
    after = bench.tokens()
    tokens = {aud: after[aud] - tokens_before.get(aud, 0) for aud in after}
    exchanges = tenant_requests(bench) - exchanges_before
    naive_assertions, naive_exchanges = _naive(bench, naive_jobs)
    scale = jobs / naive_jobs
    lifetimes = max(1, math.ceil(duration / LIFETIME_SECONDS))
    p2e = Row(
        "P2e",
        f"Key Vault requests for {jobs} jobs, PARTNER_AUTH=entra",
        str(vault),
        "P2's key mode: the key read once per TTL window",
        None,
        "0 (no vault on the path)",
        vault == 0,
        {"duration_s": duration},
    )
    worst = max((n for aud, n in tokens.items() if aud != EXCHANGE), default=0)
    assertions = tokens.get(EXCHANGE, 0)
    p3e = Row(
        "P3e",
        f"assertions and partner tokens for {jobs} jobs (1 revocation mid-run), entra",
        json.dumps(
            {
                "assertions": assertions,
                "exchanges": exchanges,
                "other tokens": {a: n for a, n in tokens.items() if a != EXCHANGE},
            },
            sort_keys=True,
        ),
        f"{naive_exchanges * scale:.0f} exchanges naive (measured on {naive_jobs}, scaled)",
        exchanges / max(1.0, naive_exchanges * scale),
        "<= 1 assertion and 1 exchange per lifetime, +1 exchange per revocation",
        assertions <= lifetimes and exchanges <= lifetimes + 1 and worst <= lifetimes,
        {
            "revoked": revoked,
            "naive_assertions": naive_assertions,
            "naive_exchanges": naive_exchanges,
            "lifetimes": lifetimes,
        },
    )
    return [p2e, p3e]


def cold_starts(bench: Bench, work: Path, key_rows: list[Row]) -> list[Row]:
    """P8e and P8ev: the product's cold start on the entra stack."""
    timed: list[ColdStart] = []
    for _ in range(TIMED_RUNS):
        run = cold_start(bench, "product", work, count_calls=False)
        timed.append(run)
        print(f"bench: P8e product: first 202 after {run.first_202_s:.2f} s", flush=True)
    exchanges = tenant_requests(bench)
    counted = cold_start(bench, "product", work, count_calls=True)
    exchanges = tenant_requests(bench) - exchanges
    first = statistics.median(r.first_202_s for r in timed)
    key_first = _key_product_first_202(key_rows)
    per_audience = max(counted.tokens.values(), default=0)
    details: dict[str, Any] = {
        "first_202_s": [r.first_202_s for r in timed],
        "listening_s": [r.listening_s for r in timed],
        "key_first_202_s": key_first,
    }
    return [
        Row(
            "P8e",
            f"cold start with entra: host start to first 202 (median of {TIMED_RUNS})",
            f"{first:.2f} s",
            "-" if key_first is None else f"{key_first:.2f} s (the key mode, P8)",
            None if key_first is None else first / key_first,
            "reported",
            None,
            details,
        ),
        Row(
            "P8ev",
            "vault reads, tokens and exchanges, host start to first 202, entra",
            f"{counted.vault_gets} GET, tokens {json.dumps(counted.tokens, sort_keys=True)}, "
            f"{exchanges} exchange(s)",
            "P8v's key mode: 1 GET",
            None,
            "0 GET, 1 token per audience, 1 exchange",
            counted.vault_gets == 0
            and per_audience == 1
            and counted.tokens.get(EXCHANGE) == 1
            and exchanges == 1,
            {},
        ),
    ]


def _key_product_first_202(rows: list[Row]) -> float | None:
    """The key mode's median first 202 of the product, from this run's P8 row."""
    for row in rows:
        if row.id == "P8":
            times = row.details.get("product", {}).get("first_202_s") or []
            return statistics.median(times) if times else None
    return None
