"""The partner stub's key registry: digests only, grace then refusal, adoption of a vault value."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from devstack.partner.keys import KeyRegistry


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_issued_key_works_until_its_grace_ends(tmp_path: Path) -> None:
    clock = Clock()
    registry = KeyRegistry(tmp_path / "keys.json", clock=clock)
    old, old_value = registry.issue(name="first")
    new, new_value = registry.issue(name="second")
    assert registry.caller(old_value) == old
    registry.revoke(old.key_id, grace_seconds=10)
    clock.now += 9
    assert registry.caller(old_value) is not None, "still within the grace"
    clock.now += 2
    assert registry.caller(old_value) is None
    assert registry.caller(new_value) == new
    listed = {k["id"]: k for k in registry.listing()}
    assert listed[old.key_id]["status"] == "expired"
    assert listed[old.key_id]["revoked"] is True
    # Only digests reach the disk; a restart knows the keys again.
    stored = (tmp_path / "keys.json").read_text()
    assert old_value not in stored
    assert new_value not in stored
    assert KeyRegistry(tmp_path / "keys.json", clock=clock).caller(new_value) is not None
    assert json.loads(stored)["keys"]


def test_a_value_set_in_the_vault_by_hand_is_adopted_and_ends_the_others() -> None:
    registry = KeyRegistry()
    _, issued = registry.issue()
    by_hand = secrets.token_urlsafe(24)
    assert registry.caller(issued, vault_value=by_hand) is None, "the portal rolled it"
    assert registry.caller(by_hand, vault_value=by_hand) is not None
    assert registry.stats()["adopted"] == 1


def test_an_immediate_revocation_and_an_unknown_key() -> None:
    registry = KeyRegistry()
    record, value = registry.issue()
    registry.revoke(record.key_id)
    assert registry.caller(value) is None
    assert registry.revoke("nope") is None
    assert registry.caller(None) is None
    assert registry.stats()["refused"] == 2
