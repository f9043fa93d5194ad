"""A rotation's world for unit tests: the vault, the partner, the lease and the state, faked.

The vault keeps versions with their tags, the partner issues, lists and revokes keys (and
refuses one it never issued or already revoked), each can be told to fail; ``world`` wires a
real :class:`shared.rotation.Rotator` to them on a fixed clock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ServiceRequestError

from shared.redaction import Secret
from shared.rotation import (
    NEAR_EXPIRY,
    IssuedKey,
    PartnerKey,
    RotationConfig,
    RotationState,
    Rotator,
    SecretEvent,
    Trigger,
)
from shared.rotation._flow import TAG_KEY_ID
from shared.rotation.errors import GuardLostError

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
