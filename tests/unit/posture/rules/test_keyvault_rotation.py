"""KV-SECRET-EXPIRING reports the key rotation's state: last rotation, next due, failure.

A rotation that failed and has not succeeded since is a finding even while the key is
far from expiry (docs/rotation.md: "a failed rotation is a posture finding"); a clean
rotation record passes and says when the next one is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from posture.context import CheckContext
from posture.model import Status, get_rule
from posture.runner import run_rules
from posture.sources.vault import SecretFacts
from shared.rotation import RotationState

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ENV = {
    "KEY_VAULT_URI": "https://kv.vault.azure.net/",
    "ROTATION_STATE_CONTAINER_URL": "https://st.blob.core.windows.net/rotation",
}


def outcome(
    state: RotationState | None, env: dict[str, str] = ENV
) -> tuple[str, list[Mapping[str, Any]]]:
    context = CheckContext(env=env, now=NOW)
    fresh = SecretFacts("partner-api-key", True, NOW + timedelta(days=80), NOW, NOW, False)
    context.memo("vault-secrets", lambda: [fresh])
    context.memo("rotation-state", lambda: state)
    (found,) = run_rules(context, rules=[get_rule("KV-SECRET-EXPIRING")]).outcomes
    return found.result.status, list(found.result.evidence)


def test_a_failing_rotation_is_a_finding_with_its_record() -> None:
    state = RotationState(
        "partner-api-key",
        last_rotation_at="2026-03-01T00:00:00+00:00",
        next_due="2026-05-01T00:00:00+00:00",
        last_failure_at="2026-05-31T02:30:00+00:00",
        last_failure="KeyManagementError: HTTP 503",
        failures_since_rotation=2,
    )
    status, evidence = outcome(state)
    assert status == Status.FAIL
    (record,) = evidence
    assert record["last_failure"] == "KeyManagementError: HTTP 503"
    assert record["last_rotation_at"] == "2026-03-01T00:00:00+00:00"
    assert record["next_due"] == "2026-05-01T00:00:00+00:00"


def test_a_recovered_rotation_passes_and_names_the_next_due_date() -> None:
    state = RotationState(
        "partner-api-key",
        next_due="2026-07-20T00:00:00+00:00",
        last_failure_at="2026-05-31T02:30:00+00:00",
        failures_since_rotation=0,
    )
    status, evidence = outcome(state)
    assert status == Status.PASS
    assert evidence == []


def test_without_a_rotation_configured_the_rule_is_as_before() -> None:
    status, evidence = outcome(None, env={"KEY_VAULT_URI": ENV["KEY_VAULT_URI"]})
    assert status == Status.PASS
    assert evidence == []


def test_a_damaged_state_blob_is_reported_as_a_failing_rotation(monkeypatch: Any) -> None:
    """The state is read through its schema (shared/rotation/_state.py): ``"unconfirmed_keys":
    5`` with ``failures_since_rotation: 0`` used to read as a healthy rotation that in fact
    failed every run. The source reads it as a failure naming the damaged field."""
    from azure.storage.blob import ContainerClient

    from posture.sources.rotation import rotation_state
    from tests.support.rotation_state import FakeContainer

    container = FakeContainer({"failures_since_rotation": 0, "unconfirmed_keys": 5})
    monkeypatch.setattr(
        ContainerClient, "from_container_url", staticmethod(lambda *_, **__: container)
    )
    context = CheckContext(env={**ENV, "PARTNER_API_KEY_SECRET_NAME": "partner-api-key"}, now=NOW)
    state = rotation_state(context)
    assert state is not None
    assert state.failing
    status, evidence = outcome(state)
    assert status == Status.FAIL
    (record,) = evidence
    assert "'unconfirmed_keys'" in record["last_failure"]
    assert record["last_failure_at"] == NOW.isoformat()
