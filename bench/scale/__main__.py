"""``python -m bench.scale``: the scale model's tables (docs/scale.md shows this output).

The model's tables are arithmetic; the last table runs the simulation (a few seconds).
"""

from __future__ import annotations

import argparse
import sys

from bench.scale import costs, limits
from bench.scale.model import Load, first_reached, instances_for, rates
from bench.scale.simulate import Scenario, simulate

INSTANCES = (1, 10, 100, 1000)
JOB_RATES = (10, 100, 500, 1000, 2500)


def _pct(value: float, limit: float) -> str:
    return f"{value:,.0f} ({100 * value / limit:.0f} %)"


def vault_table(ttl: float, jitter: float, rotations: float) -> str:
    lines = [
        "| N | scale-out burst | refresh + rotation (worst 10 s) | steady | tokens at scale-out "
        "| tokens per hour |",
        "|---|---|---|---|---|---|",
    ]
    for n in INSTANCES:
        load = Load(n, float(n), ttl_s=ttl, ttl_jitter=jitter, rotations_per_day=rotations)
        r = rates(load)
        burst = n * 1.0
        lines.append(
            f"| {n:,} | {_pct(burst, limits.VAULT.count)} "
            f"| {_pct(r.vault_peak_per_10s, limits.VAULT.count)} "
            f"| {r.vault_steady_per_10s:,.1f} | {r.tokens_burst:,.0f} | {r.tokens_per_hour:,.1f} |"
        )
    return "\n".join(lines)


def job_rate_table(partner_limit: float) -> str:
    lines = [
        "| R (jobs/s) | HTTP instances | partner calls/s | jobs queue ops/s "
        "| storage account requests/s |",
        "|---|---|---|---|---|",
    ]
    for job_rate in JOB_RATES:
        n = instances_for(job_rate)
        r = rates(Load(n, float(job_rate), worker_instances=n))
        lines.append(
            f"| {job_rate:,} | {n:,} | {_pct(r.partner_per_s, partner_limit)} "
            f"| {r.queue_per_s_low:,.0f}-{r.queue_per_s_high:,.0f} "
            f"({100 * r.queue_per_s_high / limits.QUEUE.count:.0f} % at most) "
            f"| {r.account_per_s_low:,.0f}-{r.account_per_s_high:,.0f} "
            f"({100 * r.account_per_s_high / limits.STORAGE_ACCOUNT.count:.0f} % at most) |"
        )
    return "\n".join(lines)


def first_table(partner_limit: float) -> str:
    lines = ["| limit | first reached at | note |", "|---|---|---|"]
    for item in first_reached(partner_limit=partner_limit):
        where = (
            f"R = {item.jobs_per_s:,.0f} jobs/s (N = {item.instances:,})"
            if item.jobs_per_s is not None and item.instances is not None
            else f"R = {item.jobs_per_s:,.0f} jobs/s"
            if item.jobs_per_s is not None
            else f"N = {item.instances:,}"
        )
        lines.append(f"| {item.limit} | {where} | {item.note} |")
    return "\n".join(lines)


def simulation_table() -> str:
    """The refresh after a 1,000-instance scale-out, with and without jitter, and a rotation."""
    lines = [
        "| 1,000 instances, R = 300 jobs/s, TTL 300 s | busiest 10 s of vault reads | "
        "reads in total |",
        "|---|---|---|",
    ]
    for jitter in (0.0, 0.2):
        outcome = simulate(
            Scenario(1000, 300.0, ttl_jitter=jitter, horizon_s=340.0, start_window_s=10.0)
        )
        label = "no jitter" if not jitter else f"jitter {jitter:.0%}"
        if not jitter:
            lines.append(
                f"| scale-out (0-10 s) | {outcome.busiest_10s('vault', until=40):,} | "
                f"{outcome.between('vault', 0, 40):,} |"
            )
        lines.append(
            f"| the refresh one TTL later, {label} | "
            f"{outcome.busiest_10s('vault', since=200):,} | "
            f"{outcome.between('vault', 200, 341):,} |"
        )
    rotated = simulate(
        Scenario(1000, 300.0, ttl_jitter=0.2, horizon_s=160.0, rotations_at=(100.0,))
    )
    lines.append(
        f"| a rotation at 100 s, jitter 20 % | {rotated.busiest_10s('vault', since=100):,} | "
        f"{rotated.between('vault', 100, 161):,} ({rotated.refused:,} calls refused, "
        "each retried once) |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--ttl", type=float, default=300.0)
    parser.add_argument("--jitter", type=float, default=0.2)
    parser.add_argument("--rotations", type=float, default=1.0, help="rotations per day")
    parser.add_argument("--partner-limit", type=float, default=limits.PARTNER_CALLS_PER_S)
    parser.add_argument("--no-simulation", action="store_true")
    args = parser.parse_args(argv)
    print(f"Key Vault (limit {limits.VAULT.count:,.0f} per 10 s), R = N jobs/s:\n")
    print(vault_table(args.ttl, args.jitter, args.rotations))
    print(f"\nPer job rate (partner limit {args.partner_limit:,.0f}/s, a setting):\n")
    print(job_rate_table(args.partner_limit))
    print("\nFirst reached:\n")
    print(first_table(args.partner_limit))
    print(
        f"\nPer job: {costs.blob_per_job()} blob and {costs.queue_per_job()} queue message "
        f"transactions, Get Messages 1/{costs.BATCH_SIZE} to 1."
    )
    if not args.no_simulation:
        print("\nSimulated (the real SecretProvider on a virtual clock):\n")
        print(simulation_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
