"""A jittered expiry: each cached value gives up a random share of its TTL, drawn when stored.

Why: instances that fill their caches in the same seconds (a scale-out, a rotation) would
otherwise read the vault in the same seconds every TTL, for as long as they run. Key
Vault's throttling guidance asks clients to stagger load so a vault stays under its limits
(https://learn.microsoft.com/azure/key-vault/general/overview-throttling); docs/scale.md
shows what the draw does to the busiest 10 seconds at 1,000 instances.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from shared.vault import SecretProvider

NAME = "partner-api-key"


@dataclass
class _Fetched:
    value: str


class CountingClient:
    """Stands in for SecretClient: the current value and the time of every read."""

    vault_url = "https://vault.example/"

    def __init__(self, clock: Clock) -> None:
        self.value = secrets.token_urlsafe(24)
        self.reads: list[float] = []
        self._clock = clock

    def get_secret(self, name: str, version: str | None = None, **_: Any) -> _Fetched:
        self.reads.append(self._clock())
        return _Fetched(self.value)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Draws:
    """Hands out the given draws in order (a scripted random source)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def __call__(self) -> float:
        return self.values.pop(0)


def provider(
    clock: Clock, client: CountingClient, *, jitter: float, draws: Draws
) -> SecretProvider:
    return SecretProvider(
        client,  # type: ignore[arg-type]
        ttl=100,
        clock=clock,
        ttl_jitter=jitter,
        jitter_source=draws,
    )


def test_a_draw_shortens_the_lifetime_of_the_value_it_was_drawn_for() -> None:
    clock = Clock()
    client = CountingClient(clock)
    cached = provider(clock, client, jitter=0.2, draws=Draws(0.5, 0.0))
    cached.get(NAME)  # lives 100 * (1 - 0.2 * 0.5) = 90 s
    clock.now = 89.9
    cached.get(NAME)
    assert client.reads == [0.0]
    clock.now = 90.0
    cached.get(NAME)  # a new value, drawn 0.0: the full 100 s
    clock.now = 189.9
    cached.get(NAME)
    assert client.reads == [0.0, 90.0]


def test_the_largest_draw_keeps_more_than_one_minus_the_jitter() -> None:
    clock = Clock()
    client = CountingClient(clock)
    cached = provider(clock, client, jitter=0.2, draws=Draws(0.999999, 0.0))
    cached.get(NAME)  # lives 100 * (1 - 0.2 * 0.999999) = 80.00002 s
    clock.now = 80.0
    cached.get(NAME)
    assert client.reads == [0.0]
    clock.now = 80.001
    cached.get(NAME)
    assert client.reads == [0.0, 80.001]


def test_without_jitter_every_value_lives_the_whole_ttl() -> None:
    clock = Clock()
    client = CountingClient(clock)
    cached = provider(clock, client, jitter=0.0, draws=Draws())  # no draw is ever taken
    cached.get(NAME)
    clock.now = 99.9
    cached.get(NAME)
    clock.now = 100.0
    cached.get(NAME)
    assert client.reads == [0.0, 100.0]


def test_max_age_is_shortened_by_the_same_draw() -> None:
    clock = Clock()
    client = CountingClient(clock)
    cached = provider(clock, client, jitter=0.5, draws=Draws(1.0 - 1e-9, 0.0))
    cached.get(NAME)
    clock.now = 5.5  # a 10 s max_age with half of it given up
    cached.get(NAME, max_age=10)
    assert len(client.reads) == 2


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 1.5])
def test_a_jitter_outside_zero_to_one_is_refused(jitter: float) -> None:
    clock = Clock()
    with pytest.raises(ValueError, match="ttl_jitter"):
        provider(clock, CountingClient(clock), jitter=jitter, draws=Draws())


def test_instances_filled_together_spread_their_refreshes() -> None:
    """Ten caches filled in the same second refresh in one second without jitter, and over
    the jitter's share of the TTL with it."""
    import random

    def refresh_times(jitter: float) -> list[float]:
        rng = random.Random(7)
        clock = Clock()
        client = CountingClient(clock)
        caches = [
            SecretProvider(
                client,  # type: ignore[arg-type]
                ttl=100,
                clock=clock,
                ttl_jitter=jitter,
                jitter_source=rng.random,
            )
            for _ in range(10)
        ]
        for cache in caches:
            cache.get(NAME)
        for tick in range(1, 101):
            clock.now = float(tick)
            for cache in caches:
                cache.get(NAME)
        return client.reads[10:]

    assert refresh_times(0.0) == [100.0] * 10
    spread = refresh_times(0.2)
    assert len(spread) == 10
    assert min(spread) >= 80
    assert max(spread) <= 100
    assert len(set(spread)) >= 5, "the refreshes land in different seconds"
