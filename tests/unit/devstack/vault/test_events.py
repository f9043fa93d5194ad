"""The vault's Event Grid deliveries: near expiry 30 days ahead, expired at expiry, once each,
retried when the queue is down; the message is base64 of the Event Grid schema event
(learn.microsoft.com/azure/event-grid/event-schema-key-vault) that the app parses."""

from __future__ import annotations

import secrets

from devstack.vault.events import EXPIRED, NEAR_EXPIRY, VaultEvents
from devstack.vault.store import VaultStore
from shared.rotation import parse_message

DAY = 86400


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_events_come_once_each_at_the_window_and_at_expiry() -> None:
    clock = Clock()
    store = VaultStore(clock=clock)
    version = store.set_secret(
        "partner-api-key", secrets.token_urlsafe(16), expires_on=int(clock.now + 40 * DAY)
    )
    store.set_secret("other", secrets.token_urlsafe(16), expires_on=int(clock.now))
    events = VaultEvents(store, secret_name="partner-api-key", origin="https://v", clock=clock)
    sent: list[str] = []
    assert events.tick(sent.append) == 0, "40 days out: nothing yet"
    clock.now += 11 * DAY
    assert events.tick(sent.append) == 1
    assert events.tick(sent.append) == 0, "once per version and type"
    clock.now += 30 * DAY
    assert events.tick(sent.append) == 1
    parsed = [parse_message(body)[0] for body in sent]
    assert [e.event_type for e in parsed] == [NEAR_EXPIRY, EXPIRED]
    assert {e.version for e in parsed} == {version}
    assert {e.secret_name for e in parsed} == {"partner-api-key"}, "filtered like the topic"


def test_a_failed_delivery_is_tried_again_and_backdating_brings_the_window() -> None:
    clock = Clock()
    store = VaultStore(clock=clock)
    store.set_secret("k", secrets.token_urlsafe(16), expires_on=int(clock.now + 90 * DAY))
    events = VaultEvents(store, secret_name="k", origin="https://v", clock=clock)

    def down(body: str) -> None:
        raise ConnectionError("azurite stopped")

    assert events.tick(down) == 0
    store.backdate("k", days=85, expiry=True)
    assert events.tick(down) == 0
    sent: list[str] = []
    assert events.tick(sent.append) == 1
