"""The scale model: what N instances and a job rate R cost each service, and which limit
comes first.

Flex Consumption scales an app's functions in groups (all HTTP functions together, each
queue function on its own: "per-function scaling",
https://learn.microsoft.com/azure/azure-functions/event-driven-scaling): the ``N`` here are
the HTTP group's instances, the ones that read the partner key and call the partner; the
worker's instances add only storage transactions, which are per job.

Key Vault, per 10 s (the limit's window), is the busiest of:

- a scale-out (or a restart, or a deployment) of ``N`` instances within ``start_window_s``:
  each reads the key once on its first request (single-flight), ``N * min(1, 10 / W)``;
- the refresh that follows it every TTL: without jitter it lands in the same seconds again,
  with ``ttl_jitter`` it is spread over ``W + jitter * TTL`` seconds;
- a rotation on top of that refresh: every instance refreshes once more on its first call
  the partner refuses (``rejected=`` keeps it to one read per instance), within the time
  each takes to get a request, ``min(N, 10 * R)`` in 10 s.

Steady state, an instance reads once per lifetime plus the wait for its next request.
The per-job numbers come from ``costs`` (counted on the devstack).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.scale import costs, limits

WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class Load:
    """One point of the model: N instances, R jobs/s, the cache settings, K rotations a day."""

    instances: int
    jobs_per_s: float
    ttl_s: float = 300.0
    ttl_jitter: float = 0.2
    rotations_per_day: float = 1.0
    start_window_s: float = 10.0
    worker_instances: int | None = None  # None: as many as HTTP instances (the worst case)

    @property
    def workers(self) -> int:
        return self.instances if self.worker_instances is None else self.worker_instances


@dataclass(frozen=True, slots=True)
class Rates:
    """What one :class:`Load` costs, each against its limit."""

    vault_peak_per_10s: float
    vault_steady_per_10s: float
    tokens_burst: float
    tokens_per_hour: float
    partner_per_s: float
    partner_rotation_peak_per_s: float
    queue_per_s_low: float
    queue_per_s_high: float
    account_per_s_low: float
    account_per_s_high: float


def vault_peak_per_10s(load: Load) -> float:
    """The busiest 10 s of Key Vault reads: a scale-out, or a rotation on the refresh after it."""
    n, window = load.instances, load.start_window_s
    burst = n * min(1.0, WINDOW_S / max(window, WINDOW_S))
    refresh = n * min(1.0, WINDOW_S / max(window + load.ttl_jitter * load.ttl_s, WINDOW_S))
    rotation = min(n, WINDOW_S * load.jobs_per_s) if load.rotations_per_day else 0.0
    return max(burst, refresh + rotation)


def vault_steady_per_10s(load: Load) -> float:
    """Reads per 10 s once the instances' refreshes have drifted apart."""
    if load.jobs_per_s <= 0:
        return 0.0
    mean_life = load.ttl_s * (1 - load.ttl_jitter / 2)
    per_instance = 1 / (mean_life + load.instances / load.jobs_per_s)
    rotations = load.rotations_per_day / 86400
    return WINDOW_S * load.instances * (per_instance + rotations)


def rates(load: Load) -> Rates:
    r = load.jobs_per_s
    blob = costs.blob_per_job() * r
    queue_ops = costs.queue_per_job() * r
    idle_polls = load.workers / costs.MAX_POLLING_INTERVAL_S
    # Get Messages: a full batch per call at best, one message per call at worst, and
    # never fewer than the idle polling of every worker instance.
    receive_low = max(r / costs.BATCH_SIZE, idle_polls)
    receive_high = max(r, idle_polls)
    poison_polls = idle_polls  # the poison queue's listener idles on its own instances
    return Rates(
        vault_peak_per_10s=vault_peak_per_10s(load),
        vault_steady_per_10s=vault_steady_per_10s(load),
        tokens_burst=costs.TOKEN_AUDIENCES * load.instances,
        tokens_per_hour=costs.TOKEN_AUDIENCES * load.instances * 3600 / costs.TOKEN_REFRESH_S,
        partner_per_s=r,
        partner_rotation_peak_per_s=r + min(r, load.instances),
        queue_per_s_low=queue_ops + receive_low,
        queue_per_s_high=queue_ops + receive_high,
        account_per_s_low=blob + queue_ops + receive_low + poison_polls,
        account_per_s_high=blob + queue_ops + receive_high + poison_polls,
    )


@dataclass(frozen=True, slots=True)
class FirstReached:
    """Where a limit is first reached: the job rate (any N) or the instance count (any R)."""

    limit: str
    jobs_per_s: float | None
    instances: int | None
    note: str


def instances_for(jobs_per_s: float, *, latency_s: float = 0.25) -> int:
    """HTTP instances Flex runs for a job rate: concurrency per instance over latency."""
    return max(1, math.ceil(jobs_per_s * latency_s / limits.HTTP_CONCURRENCY))


def first_reached(*, partner_limit: float = limits.PARTNER_CALLS_PER_S) -> list[FirstReached]:
    """Each limit and where the app first reaches it, earliest first (by job rate)."""
    per_job_queue_low = costs.queue_per_job() + 1 / costs.BATCH_SIZE
    per_job_queue_high = costs.queue_per_job() + 1
    per_job_account_low = costs.blob_per_job() + per_job_queue_low
    per_job_account_high = costs.blob_per_job() + per_job_queue_high
    queue_r = (
        limits.QUEUE.per_second() / per_job_queue_high,
        limits.QUEUE.per_second() / per_job_queue_low,
    )
    account_r = (
        limits.STORAGE_ACCOUNT.per_second() / per_job_account_high,
        limits.STORAGE_ACCOUNT.per_second() / per_job_account_low,
    )
    # Key Vault: a burst of N instances in one 10-s window reads N times; with a rotation
    # on top of a refresh that jitter did not spread, 2N.
    vault_n = math.ceil(limits.VAULT.count)
    vault_n_rotation = math.ceil(limits.VAULT.count / 2)
    found = [
        FirstReached(
            "partner",
            partner_limit,
            None,
            f"one call per job (a rotation doubles it for a moment: R = {partner_limit / 2:.0f})",
        ),
        FirstReached(
            "queue",
            queue_r[0],
            instances_for(queue_r[0]),
            f"{queue_r[0]:.0f}-{queue_r[1]:.0f} jobs/s ({per_job_queue_low:.2f}-"
            f"{per_job_queue_high:.0f} message operations per job)",
        ),
        FirstReached(
            "storage account",
            account_r[0],
            instances_for(account_r[0]),
            f"{account_r[0]:.0f}-{account_r[1]:.0f} jobs/s ({per_job_account_low:.2f}-"
            f"{per_job_account_high:.0f} transactions per job)",
        ),
        FirstReached(
            "Key Vault",
            None,
            vault_n,
            f"N = {vault_n:,} starting within 10 s (N = {vault_n_rotation:,} if a rotation "
            f"lands on an unjittered refresh); Flex stops at {limits.FLEX_MAX_INSTANCES:,}",
        ),
    ]
    return sorted(found, key=lambda item: item.jobs_per_s if item.jobs_per_s else math.inf)
