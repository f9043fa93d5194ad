"""The scale model's arithmetic: where each published limit is first reached.

Limits: Key Vault 4,000 transactions per 10 s per vault
(https://learn.microsoft.com/azure/key-vault/general/service-limits); a queue 2,000
messages/s (https://learn.microsoft.com/azure/storage/queues/scalability-targets); a
standard account 20,000 requests/s
(https://learn.microsoft.com/azure/storage/common/scalability-targets-standard-account).
Per-job costs are the ones counted on the devstack (tests/integration/test_scale_costs.py).
"""

from __future__ import annotations

import pytest

from bench.scale import costs, limits
from bench.scale.model import Load, first_reached, instances_for, rates, vault_peak_per_10s


def test_a_job_costs_five_blob_and_two_message_transactions() -> None:
    """The API's state write (its message, put first, carries the job: no outbox marker),
    the worker's read, two state writes and result write; the put and the delete."""
    assert costs.blob_per_job() == 5
    assert costs.queue_per_job() == 2


def test_limits_come_in_the_order_of_the_job_rate_that_reaches_them() -> None:
    found = {item.limit: item for item in first_reached(partner_limit=100.0)}
    assert [item.limit for item in first_reached(partner_limit=100.0)] == [
        "partner",
        "queue",
        "storage account",
        "Key Vault",
    ]
    assert found["partner"].jobs_per_s == 100.0
    # The queue: put + delete + one Get Messages per job at worst (2,000 / 3).
    assert found["queue"].jobs_per_s == pytest.approx(2000 / 3)
    # The account: 5 blob + 3 queue transactions per job at worst (20,000 / 8).
    assert found["storage account"].jobs_per_s == pytest.approx(2500)
    assert found["Key Vault"].instances == 4000


def test_a_generous_partner_leaves_the_queue_first() -> None:
    order = [item.limit for item in first_reached(partner_limit=10_000.0)]
    assert order[0] == "queue"


def test_instances_needed_follow_concurrency_and_latency() -> None:
    # 16 concurrent submissions of 0.25 s each: 64 jobs/s per instance.
    assert instances_for(64) == 1
    assert instances_for(65) == 2
    assert instances_for(2500) == 40


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [
        (0.0, 2000.0),  # an unjittered refresh (N) with a rotation on top (N)
        (0.2, 1000 * 10 / 70 + 1000),  # the refresh spread over 70 s, the rotation on top
    ],
)
def test_the_vault_peak_is_a_refresh_and_a_rotation_at_worst(
    jitter: float, expected: float
) -> None:
    load = Load(1000, 300.0, ttl_jitter=jitter)
    assert vault_peak_per_10s(load) == pytest.approx(expected)
    assert vault_peak_per_10s(load) < limits.VAULT.count


def test_without_rotations_the_peak_is_the_scale_out() -> None:
    assert vault_peak_per_10s(Load(1000, 300.0, rotations_per_day=0)) == 1000


def test_tokens_are_two_per_instance_at_start_and_two_per_half_day() -> None:
    r = rates(Load(1000, 300.0))
    assert r.tokens_burst == 2000
    assert r.tokens_per_hour == pytest.approx(2000 / 12)
