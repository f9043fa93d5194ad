"""Retry policies.

Sources: Azure Functions error handling and retries (learn.microsoft.com/azure/
azure-functions/functions-bindings-error-pages), the worker's loader.build_retry_protos
(intervals as HH:MM:SS, strategy fixed_delay or exponential_backoff), and the WebJobs
SDK's FixedDelayRetryAttribute / ExponentialBackoffRetryAttribute /
RandomizedExponentialBackoffStrategy (first wait = minimum, then minimum plus a +/-20 %
randomised doubling, capped at the maximum; -1 retries forever).
"""

from __future__ import annotations

import random

import pytest

from devstack.host.retry import RetryPolicy, RetryPolicyError, timespan


def test_parse_policies() -> None:
    assert RetryPolicy.from_settings(None) is None
    fixed = RetryPolicy.from_settings(
        {"strategy": "fixed_delay", "max_retry_count": "3", "delay_interval": "00:00:05"}
    )
    assert fixed == RetryPolicy("fixed_delay", 3, delay=5.0)
    for bad in (
        {"strategy": "linear", "max_retry_count": "1"},
        {"strategy": "fixed_delay", "max_retry_count": "x", "delay_interval": "00:00:01"},
        {"strategy": "fixed_delay", "max_retry_count": "1", "delay_interval": "5s"},
        {
            "strategy": "exponential_backoff",
            "max_retry_count": "1",
            "minimum_interval": "00:00:09",
            "maximum_interval": "00:00:01",
        },
    ):
        with pytest.raises(RetryPolicyError):
            RetryPolicy.from_settings(bad)


def test_exhaustion() -> None:
    assert RetryPolicy("fixed_delay", 2, delay=1).exhausted(2)
    assert not RetryPolicy("fixed_delay", 2, delay=1).exhausted(1)
    assert not RetryPolicy("fixed_delay", -1, delay=1).exhausted(10_000)


def test_exponential_waits() -> None:
    policy = RetryPolicy("exponential_backoff", 10, minimum=1.0, maximum=10.0)
    waits = [policy.delays(random.Random(7)).next()]
    backoff = policy.delays(random.Random(7))
    waits = [backoff.next() for _ in range(6)]
    assert waits[0] == 1.0
    assert 1.8 <= waits[1] <= 2.2
    assert 2.6 <= waits[2] <= 3.4
    assert 4.2 <= waits[3] <= 5.8
    assert waits[-1] == 10.0
    assert waits == sorted(waits)


def test_timespan_text() -> None:
    assert timespan(1) == "00:00:01"
    assert timespan(3725.5) == "01:02:05.5000000"
