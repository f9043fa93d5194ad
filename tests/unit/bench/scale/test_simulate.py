"""The scale model against a simulation: N instances on a virtual clock, each with the real
``SecretProvider`` over a fake ``SecretClient`` (bench/scale/simulate.py).

Pure Python and seeded, so every count below is exact and the same on every run. The limits
are the published ones (bench/scale/limits.py): Key Vault allows 4,000 transactions per
10 s per vault (https://learn.microsoft.com/azure/key-vault/general/service-limits);
Flex Consumption stops at 1,000 instances
(https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bench.scale import costs, limits
from bench.scale.model import Load, first_reached, rates, vault_steady_per_10s
from bench.scale.simulate import Scenario, simulate

TTL = 300.0


@pytest.mark.parametrize("instances", [1, 10, 100, 1000])
def test_a_scale_out_reads_the_key_once_per_instance(instances: int) -> None:
    """N instances starting within 10 s, each with a cold cache, serving 0.3 jobs/s each."""
    outcome = simulate(Scenario(instances, 0.3 * instances, horizon_s=30.0))
    assert outcome.totals["vault"] == instances, "single-flight: one read per instance"
    assert outcome.busiest_10s("vault") == instances
    assert outcome.totals["tokens"] == costs.TOKEN_AUDIENCES * instances
    assert outcome.busiest_10s("vault") <= limits.VAULT.count
    assert outcome.refused == 0


@pytest.mark.volume
@pytest.mark.slow  # thousands of simulated instances: seconds of CPU
def test_the_vault_limit_is_first_exceeded_past_4000_instances_starting_together() -> None:
    """The model names N = 4,000 (a burst in one 10-s window); the simulation agrees at the
    edge: 4,000 instances use the whole allowance, 4,001 exceed it."""
    vault = next(item for item in first_reached() if item.limit == "Key Vault")
    assert vault.instances == 4000
    at_limit = simulate(Scenario(4000, 0.0, start_window_s=10.0, horizon_s=12.0))
    over = simulate(Scenario(4001, 0.0, start_window_s=10.0, horizon_s=12.0))
    assert at_limit.busiest_10s("vault") == limits.VAULT.count
    assert over.busiest_10s("vault") > limits.VAULT.count
    assert vault.instances > limits.FLEX_MAX_INSTANCES, "one app cannot get there on Flex"


@pytest.fixture(scope="module")
def refresh_waves() -> dict[float, int]:
    """The busiest 10 s of the refresh one TTL after a 1,000-instance scale-out, by jitter."""
    busiest = {}
    for jitter in (0.0, 0.2):
        outcome = simulate(
            Scenario(1000, 300.0, ttl_jitter=jitter, horizon_s=TTL + 40, start_window_s=10.0)
        )
        assert outcome.between("vault", 200, TTL + 41) == 1000, "every instance refreshes once"
        busiest[jitter] = outcome.busiest_10s("vault", since=200)
    return busiest


@pytest.mark.volume
@pytest.mark.slow  # thousands of simulated instances: seconds of CPU
def test_without_jitter_the_refresh_repeats_the_scale_out(refresh_waves: dict[float, int]) -> None:
    """Caches filled together expire together: most of the 1,000 reads land in one 10 s."""
    assert refresh_waves[0.0] >= 700


@pytest.mark.volume
@pytest.mark.slow  # thousands of simulated instances: seconds of CPU
def test_jitter_spreads_the_refresh_as_the_model_says(refresh_waves: dict[float, int]) -> None:
    """With 20 % jitter the refreshes spread over about a minute; the busiest 10 s falls to
    about a seventh of the burst (the model: N * 10 / (10 + 0.2 * 300) = 143)."""
    model = Load(1000, 300.0, ttl_jitter=0.2, rotations_per_day=0)
    expected = 1000 * 10 / (model.start_window_s + model.ttl_jitter * model.ttl_s)
    assert refresh_waves[0.2] <= 1.5 * expected
    assert refresh_waves[0.2] * 3 <= refresh_waves[0.0]


@pytest.mark.volume
@pytest.mark.slow  # thousands of simulated instances: seconds of CPU
def test_a_rotation_under_load_costs_one_read_and_one_refusal_per_instance() -> None:
    """1,000 instances at 300 jobs/s; the key rotates at 100 s. Each instance's next call is
    refused once, refetched once (``rejected=``), and every later call uses the new key."""
    outcome = simulate(
        Scenario(1000, 300.0, ttl_jitter=0.2, horizon_s=160.0, rotations_at=(100.0,))
    )
    assert outcome.between("vault", 100, 161) == 1000
    assert outcome.refused == 1000
    assert outcome.busiest_10s("vault", since=100) <= limits.VAULT.count
    worst = rates(Load(1000, 300.0, ttl_jitter=0.2)).vault_peak_per_10s
    assert outcome.busiest_10s("vault", since=100) <= worst, "the model is an upper bound"


@pytest.mark.volume
@pytest.mark.slow
def test_steady_state_reads_match_the_model() -> None:
    """100 instances, a short TTL so that many lifetimes fit in the run: reads per 10 s after
    the first lifetime agree with the model's steady rate within 15 %."""
    load = Load(100, 30.0, ttl_s=30.0, ttl_jitter=0.2, rotations_per_day=0)
    outcome = simulate(Scenario(100, 30.0, ttl_s=30.0, ttl_jitter=0.2, horizon_s=630.0))
    measured = outcome.between("vault", 30, 630) / 60  # per 10 s
    assert measured == pytest.approx(vault_steady_per_10s(load), rel=0.15)


def test_storage_per_job_is_what_the_stack_counted() -> None:
    """Ten workers draining 100 jobs/s: every job costs the blob and message transactions
    counted on the devstack, and Get Messages between a batch's share and one per job."""
    outcome = simulate(Scenario(10, 100.0, horizon_s=60.0, worker_instances=10))
    submitted, processed = outcome.jobs, outcome.processed
    assert submitted - processed <= costs.BATCH_SIZE, "the workers keep up"

    def per_job(table: Mapping[str, int], service: str) -> int:
        return sum(n for key, n in table.items() if key.startswith(f"{service}:"))

    assert outcome.totals["blob"] == (
        per_job(costs.SUBMIT_PER_JOB, "blob") * submitted
        + per_job(costs.WORKER_PER_JOB, "blob") * processed
    )
    messages = (
        per_job(costs.SUBMIT_PER_JOB, "queue") * submitted
        + per_job(costs.WORKER_PER_JOB, "queue") * processed
    )
    receives = outcome.totals["queue"] - messages
    idle_polls = 10 * 60 / (costs.MAX_POLLING_INTERVAL_S / 2)
    assert processed / costs.BATCH_SIZE <= receives <= processed + idle_polls
