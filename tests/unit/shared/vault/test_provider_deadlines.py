"""SecretProvider against a slow, stuck or throttling vault: no caller waits past its deadline.

A fetch runs on a thread of its own; a caller with nothing usable waits ``wait`` seconds, a
caller with a value within the grace ``stale_wait`` seconds, and the fetch still fills the
cache when it lands. The vault is the scripted one of test_vault.py, told to ``hold`` its
answer: outcomes are asserted while it still holds (the call came back before the vault
answered), never by measuring time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from azure.keyvault.secrets import SecretClient

from shared.vault import MAX_RETRY_AFTER, SecretProvider, VaultUnavailableError
from tests.support.scripted_vault import FakeClock, ScriptedVault, make_client
from tests.support.waiting import eventually

TTL = 300.0
NAME = "partner-api-key"


@pytest.fixture
def vault() -> Iterator[ScriptedVault]:
    scripted = ScriptedVault()
    yield scripted
    if scripted.hold is not None:
        scripted.hold.set()  # never leave a fetch thread waiting


@pytest.fixture
def client(vault: ScriptedVault) -> Iterator[SecretClient]:
    with make_client(vault) as c:
        yield c


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def provider_for(
    client: SecretClient, clock: FakeClock, *, wait: float = 5.0, stale_wait: float = 0.5
) -> SecretProvider:
    return SecretProvider(client, ttl=TTL, clock=clock, wait=wait, stale_wait=stale_wait)


def test_a_vault_that_does_not_answer_is_unavailable_after_the_wait_and_the_fetch_lands(
    vault: ScriptedVault, client: SecretClient, clock: FakeClock
) -> None:
    value = vault.put(client.vault_url, NAME)
    provider = provider_for(client, clock, wait=0.2)
    vault.hold = threading.Event()
    with pytest.raises(VaultUnavailableError, match="did not answer") as caught:
        provider.get(NAME)
    assert not vault.hold.is_set(), "answered before the vault did"
    assert vault.count() == 1
    assert caught.value.retry_after == 0.2
    assert value not in str(caught.value)
    vault.hold.set()
    assert eventually(lambda: provider.get(NAME).reveal() == value, timeout=10)
    assert vault.count() == 1, "the late answer filled the cache: no second fetch"


def test_callers_joining_a_stuck_fetch_each_give_up_at_the_deadline(
    vault: ScriptedVault, client: SecretClient, clock: FakeClock
) -> None:
    vault.put(client.vault_url, NAME)
    provider = provider_for(client, clock, wait=0.2)
    vault.hold = threading.Event()
    outcomes: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            provider.get(NAME)
            outcome = "value"
        except VaultUnavailableError:
            outcome = "unavailable"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not vault.hold.is_set()
    assert outcomes == ["unavailable"] * 12
    assert vault.count() == 1, "one fetch for everyone, still in flight"


def test_a_value_within_the_grace_is_served_while_the_refresh_is_in_flight(
    vault: ScriptedVault, client: SecretClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    old = vault.put(client.vault_url, NAME)
    provider = provider_for(client, clock, stale_wait=0.05, wait=30)
    provider.get(NAME)
    clock.advance(TTL + 1)  # stale, well within the grace
    rotated = vault.put(client.vault_url, NAME)
    vault.hold = threading.Event()
    with caplog.at_level(logging.WARNING, logger="shared.vault"):
        served = [provider.get(NAME).reveal() for _ in range(5)]
    assert served == [old] * 5
    assert not vault.hold.is_set(), "the refresh is still in flight"
    assert vault.count() == 2
    assert "refresh still in flight" in caplog.text
    assert old not in caplog.text
    assert rotated not in caplog.text
    vault.hold.set()
    assert eventually(lambda: provider.get(NAME).reveal() == rotated, timeout=10)
    assert vault.count() == 2


def test_past_the_grace_a_stuck_refresh_is_unavailable_not_stale(
    vault: ScriptedVault, client: SecretClient, clock: FakeClock
) -> None:
    vault.put(client.vault_url, NAME)
    provider = provider_for(client, clock, stale_wait=0.05, wait=0.2)
    provider.get(NAME)
    clock.advance(TTL + TTL + 1)
    vault.hold = threading.Event()
    with pytest.raises(VaultUnavailableError, match="did not answer"):
        provider.get(NAME)


def test_a_forced_fetch_never_falls_back_to_the_cached_value_at_its_deadline(
    vault: ScriptedVault, client: SecretClient, clock: FakeClock
) -> None:
    vault.put(client.vault_url, NAME)
    provider = provider_for(client, clock, stale_wait=0.05, wait=0.2)
    provider.get(NAME)
    vault.hold = threading.Event()
    with pytest.raises(VaultUnavailableError):
        provider.get(NAME, force_fetch=True)


def test_a_huge_retry_after_is_passed_on_capped(
    vault: ScriptedVault, client: SecretClient, clock: FakeClock
) -> None:
    throttled: dict[str, object] = {"error": {"code": "Throttled", "message": "slow down"}}
    vault.error = (429, throttled, {"Retry-After": "99999"})
    with pytest.raises(VaultUnavailableError) as caught:
        provider_for(client, clock).get(NAME)
    assert (caught.value.status, caught.value.retry_after) == (429, MAX_RETRY_AFTER)


def test_deadlines_must_make_sense(client: SecretClient) -> None:
    with pytest.raises(ValueError, match="wait"):
        SecretProvider(client, wait=0)
    with pytest.raises(ValueError, match="wait"):
        SecretProvider(client, stale_wait=-1)


class _AgingClock(FakeClock):
    """Once armed, moves on a second at every read, and says when the calling thread has
    read it twice: the second read is the caller's look for a stale value after its
    ``stale_wait``, however long the machine took to get there."""

    def __init__(self) -> None:
        super().__init__()
        self.caller: int | None = None
        self.caller_reads = 0
        self.looked_again = threading.Event()

    def __call__(self) -> float:
        now = self.now
        if self.caller is not None:
            self.now += 1.0
            if threading.get_ident() == self.caller:
                self.caller_reads += 1
                if self.caller_reads == 2:
                    self.looked_again.set()
        return now


def test_a_value_that_ages_past_the_grace_during_the_stale_wait_leaves_the_caller_waiting(
    vault: ScriptedVault, client: SecretClient
) -> None:
    """Seen under load (tests/faults/test_rotation_under_load.py): a caller decided it held
    a value within the grace, waited ``stale_wait`` for a slow refresh, found the value
    past the grace by then, and was refused at 0.5 s where a caller with nothing usable
    waits ``wait``. It now waits on, and gets the refresh when it lands."""
    clock = _AgingClock()
    vault.put(client.vault_url, NAME)
    provider = provider_for(client, clock, stale_wait=0.05, wait=30)
    provider.get(NAME)
    clock.advance(TTL + TTL - 0.5)  # stale, half a second inside the grace (the TTL)
    rotated = vault.put(client.vault_url, NAME)
    vault.hold = threading.Event()
    outcome: list[object] = []

    def call() -> None:
        clock.caller = threading.get_ident()
        try:
            outcome.append(provider.get(NAME).reveal())
        except VaultUnavailableError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    assert clock.looked_again.wait(10), "the caller never looked for a stale value again"
    vault.hold.set()  # the refresh lands only after the caller found nothing usable
    caller.join(10)
    assert outcome == [rotated]
    assert vault.count() == 2
