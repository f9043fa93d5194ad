"""Each branch of the dual-key rotation, with the vault, the partner and the lease faked.

The end-to-end proof runs on the devstack (tests/integration/test_rotation_on_stack.py);
these pin each decision: not due, a stale event, the happy path, the partner refusing, the
vault refusing (key revoked), the vault failing unknowably (key remembered, then revoked
by the next run), a write that landed though its answer was lost, a lost lease, and an old
key whose revocation has to wait for the next run.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from shared.rotation import StateStore, Trigger
from shared.rotation._flow import TAG_KEY_ID
from shared.rotation.errors import (
    GuardLostError,
    KeyManagementError,
    StateDamagedError,
    VaultWriteError,
)
from tests.support.rotation_state import FakeContainer
from tests.support.rotation_world import GRACE, NOW, World, event, world


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
