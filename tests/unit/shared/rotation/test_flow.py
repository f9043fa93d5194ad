"""Each branch of the dual-key rotation, with the vault, the partner and the lease faked.

The end-to-end proof runs on the devstack (tests/integration/test_rotation_on_stack.py);
these pin each decision: not due, a stale event, the happy path, the partner refusing, the
vault refusing (key revoked), the vault failing unknowably (key remembered, then revoked
by the next run), a write that landed though its answer was lost, a lost lease, and an old
key whose revocation has to wait for the next run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from shared.redaction import Secret
from shared.rotation import (
    NEAR_EXPIRY,
    IssuedKey,
    PartnerKey,
    RotationConfig,
    RotationState,
    Rotator,
    SecretEvent,
    StateStore,
    Trigger,
)
from shared.rotation._flow import TAG_KEY_ID
from shared.rotation.errors import (
    GuardLostError,
    KeyManagementError,
    StateDamagedError,
    VaultWriteError,
)
from tests.support.rotation_state import FakeContainer

NOW = datetime(2026, 6, 1, tzinfo=UTC)
GRACE = 900.0
CONFIG = RotationConfig(
    key_vault_uri="https://kv.vault.azure.net/",
    secret_name="partner-api-key",
    partner_api_url="https://partner.example/v1/",
    key_header="X-Api-Key",
    state_container_url="https://st.blob.core.windows.net/rotation",
    client_id=None,
    window_days=30,
    lifetime_days=90,
    grace_seconds=GRACE,
    skew_seconds=300,
    cache_ttl=300,
    connect_timeout=1,
    read_timeout=1,
    deadline=2,
)


@dataclass
class Props:
    version: str
    expires_on: datetime | None
    tags: dict[str, str] | None
    created_on: datetime = NOW


@dataclass
class Stored:
    value: str
    properties: Props


class FakeVault:
    def __init__(self, key_id: str, value: str, expires_in: timedelta) -> None:
        self.versions = [Stored(value, Props("v0", NOW + expires_in, {TAG_KEY_ID: key_id}))]
        self.set_error: Exception | None = None
        self.lands_anyway = False
        self.reads_fail_after_set = False
        self._set_failed = False

    def get_secret(self, name: str) -> Stored:
        if self._set_failed and self.reads_fail_after_set:
            raise ServiceRequestError("vault unreachable")
        return self.versions[-1]

    def set_secret(self, name: str, value: str, **props: Any) -> Stored:
        stored = Stored(
            value, Props(f"v{len(self.versions)}", props["expires_on"], dict(props["tags"]))
        )
        if self.set_error is not None:
            self._set_failed = True
            if self.lands_anyway:
                self.versions.append(stored)
            raise self.set_error
        self.versions.append(stored)
        return stored

    def list_properties_of_secret_versions(self, name: str) -> list[Props]:
        return [v.properties for v in self.versions]


@dataclass
class FakePartner:
    keys: dict[str, str] = field(default_factory=dict)  # id -> value
    states: dict[str, str] = field(default_factory=dict)  # id -> active|expiring|revoked
    revocations: list[tuple[str, float]] = field(default_factory=list)
    issue_error: Exception | None = None
    revoke_error: Exception | None = None

    def add(self, value: str) -> str:
        key_id = f"k{len(self.keys)}"
        self.keys[key_id], self.states[key_id] = value, "active"
        return key_id

    def caller(self, key: Secret) -> str:
        found = [i for i, v in self.keys.items() if v == key.reveal()]
        assert found, "authenticated with a key the partner never issued"
        assert self.states[found[0]] != "revoked", "authenticated with a revoked key"
        return found[0]

    def issue(self, current: Secret, *, idempotency_key: str, label: str) -> IssuedKey:
        caller = self.caller(current)
        if self.issue_error is not None:
            raise self.issue_error
        value = secrets.token_urlsafe(24)
        return IssuedKey(self.add(value), Secret(value), issued_with=caller)

    def list(self, current: Secret) -> tuple[str | None, list[PartnerKey]]:
        keys = [
            PartnerKey(i, NOW, None if s == "active" else NOW, s == "revoked")
            for i, s in self.states.items()
        ]
        return self.caller(current), keys

    def revoke(self, key_id: str, current: Secret, *, grace_seconds: float) -> bool:
        self.caller(current)
        if self.revoke_error is not None:
            raise self.revoke_error
        self.revocations.append((key_id, grace_seconds))
        self.states[key_id] = "revoked" if grace_seconds == 0 else "expiring"
        return True


class FakeGuard:
    def __init__(self, lost: bool = False) -> None:
        self.lost = lost

    def __enter__(self) -> FakeGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def renew(self) -> None:
        if self.lost:
            raise GuardLostError("lease expired")


class FakeState:
    def __init__(self) -> None:
        self.state = RotationState("partner-api-key")

    def read(self) -> RotationState:
        return RotationState(**vars(self.state))

    def write(self, state: RotationState) -> None:
        self.state = RotationState(**vars(state))


@dataclass
class World:
    vault: FakeVault
    partner: FakePartner
    state: FakeState
    guard: FakeGuard
    rotator: Rotator

    @property
    def current_value(self) -> str:
        return self.vault.versions[-1].value


def world(expires_in: timedelta = timedelta(days=10)) -> World:
    partner = FakePartner()
    value = secrets.token_urlsafe(24)
    vault = FakeVault(partner.add(value), value, expires_in)
    state, guard = FakeState(), FakeGuard()
    rotator = Rotator(
        config=CONFIG,
        vault=vault,  # type: ignore[arg-type]
        partner=partner,  # type: ignore[arg-type]
        guard=lambda: guard,  # type: ignore[arg-type,return-value]
        state=state,  # type: ignore[arg-type]
        rotated_by="test",
        clock=lambda: NOW,
    )
    return World(vault, partner, state, guard, rotator)


def event(version: str) -> Trigger:
    return Trigger(
        "event", SecretEvent("e1", NEAR_EXPIRY, "kv", "partner-api-key", version, None, None)
    )


def test_a_key_far_from_expiry_is_left_alone() -> None:
    w = world(expires_in=timedelta(days=60))
    outcome = w.rotator.rotate(Trigger("timer"))
    assert not outcome.rotated
    assert len(w.vault.versions) == 1
    assert w.state.state.next_due == (NOW + timedelta(days=30)).isoformat()


def test_an_event_about_a_replaced_version_is_a_no_op() -> None:
    w = world()
    assert not w.rotator.rotate(event("an-older-version")).rotated
    assert len(w.vault.versions) == 1


def test_a_due_key_is_rotated_stored_dated_tagged_and_the_old_one_revoked_with_grace() -> None:
    w = world()
    outcome = w.rotator.rotate(event("v0"))
    assert outcome.rotated
    new = w.vault.versions[-1]
    assert new.properties.expires_on == NOW + timedelta(days=90)
    assert new.properties.tags is not None
    assert new.properties.tags[TAG_KEY_ID] == outcome.key_id
    assert new.properties.tags["rotated-by"] == "test:event"
    assert w.partner.keys[outcome.key_id or ""] == new.value
    assert w.partner.revocations == [("k0", GRACE)]
    assert w.state.state.last_key_id == outcome.key_id
    assert not w.state.state.failing


def test_the_partner_refusing_changes_nothing_but_the_recorded_failure() -> None:
    w = world()
    before = w.current_value
    w.partner.issue_error = KeyManagementError("HTTP 503")
    with pytest.raises(KeyManagementError):
        w.rotator.rotate(Trigger("timer"))
    assert w.current_value == before
    assert w.state.state.failing
    assert "KeyManagementError" in (w.state.state.last_failure or "")
    assert w.partner.revocations == []


def _http(status: int) -> HttpResponseError:
    error = HttpResponseError("refused")
    error.status_code = status
    return error


def test_a_vault_that_refuses_the_write_gets_the_new_key_revoked_at_once() -> None:
    w = world()
    before = w.current_value
    w.vault.set_error = _http(403)
    with pytest.raises(VaultWriteError, match="HTTP 403"):
        w.rotator.rotate(Trigger("timer"))
    assert w.current_value == before
    assert w.partner.revocations == [("k1", 0)]
    assert w.partner.states["k0"] == "active", "the old key stays in use"


def test_an_unknowable_vault_write_is_remembered_then_settled_by_the_next_run() -> None:
    w = world()
    w.vault.set_error = ServiceRequestError("timed out")
    w.vault.reads_fail_after_set = True
    with pytest.raises(VaultWriteError):
        w.rotator.rotate(Trigger("timer"))
    assert w.state.state.unconfirmed_keys == ["k1"]
    assert w.partner.revocations == [], "it may have landed: not revoked blindly"
    w.vault.set_error, w.vault.reads_fail_after_set = None, False
    outcome = w.rotator.rotate(Trigger("timer"))
    assert outcome.rotated
    assert ("k1", 0) in w.partner.revocations, "the orphan is revoked"
    assert w.state.state.unconfirmed_keys == []


def test_a_write_that_landed_though_its_answer_was_lost_counts_as_done() -> None:
    w = world()
    w.vault.set_error = ServiceRequestError("connection reset")
    w.vault.lands_anyway = True
    outcome = w.rotator.rotate(Trigger("timer"))
    assert outcome.rotated
    assert w.partner.revocations == [("k0", GRACE)]


def test_a_lost_lease_stops_before_the_vault_write_and_revokes_the_new_key() -> None:
    w = world()
    w.guard.lost = True
    with pytest.raises(GuardLostError):
        w.rotator.rotate(Trigger("timer"))
    assert len(w.vault.versions) == 1
    assert w.partner.revocations == [("k1", 0)]


def test_an_old_key_whose_revocation_failed_is_revoked_by_the_next_run() -> None:
    w = world()
    w.partner.revoke_error = KeyManagementError("HTTP 503")
    assert w.rotator.rotate(Trigger("timer")).rotated
    assert w.partner.states["k0"] == "active"
    w.partner.revoke_error = None
    assert not w.rotator.rotate(Trigger("timer")).rotated
    assert w.partner.revocations == [("k0", GRACE)]


def with_state_blob(w: World, document: object) -> FakeContainer:
    """``w``'s rotator, keeping its state in a (fake) blob through the real ``StateStore``."""
    container = FakeContainer(document)
    w.rotator._state = StateStore(container, "partner-api-key")  # type: ignore[arg-type]
    return container


def test_a_damaged_state_blob_is_a_recorded_failure_and_the_next_run_rotates() -> None:
    """``"unconfirmed_keys": 5`` used to fail every rotation with a ``TypeError`` while the
    state still said ``failures_since_rotation: 0``. Now the damage is the recorded failure
    (naming the field), the blob is rewritten from what was valid, and the retry rotates."""
    w = world()
    container = with_state_blob(w, {"unconfirmed_keys": 5, "failures_since_rotation": 0})
    before = w.current_value
    with pytest.raises(StateDamagedError, match="'unconfirmed_keys'"):
        w.rotator.rotate(Trigger("timer"))
    assert w.current_value == before
    recorded = container.document
    assert recorded["failures_since_rotation"] == 1
    assert recorded["last_failure"].startswith("StateDamagedError")
    assert "'unconfirmed_keys'" in recorded["last_failure"]
    assert recorded["last_failure_at"] == NOW.isoformat()
    assert w.rotator.rotate(Trigger("timer")).rotated
    assert container.document["failures_since_rotation"] == 0


def test_any_exception_during_a_rotation_is_recorded_as_its_failure() -> None:
    """Not only rotation and Azure errors: whatever stops a rotation is on the record the
    posture checker reads, by its class name (never its message: it might quote data)."""
    w = world()
    container = with_state_blob(w, None)
    w.partner.issue_error = TypeError("unsupported operand type(s) for +: 'int' and 'list'")
    with pytest.raises(TypeError):
        w.rotator.rotate(Trigger("timer"))
    assert container.document["failures_since_rotation"] == 1
    assert container.document["last_failure"] == "TypeError"
