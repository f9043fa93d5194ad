"""The partner key rotates itself on the devstack, end to end, and survives what can go wrong.

A stack of its own, with a short secret cache (2 s), a grace of 6 s (more than the cache
plus 1 s of allowed skew: shared.rotation._config refuses less) and the daily timer
pushed to New Year (each test that wants it runs it through the admin API, as the
Functions host's ``POST /admin/functions/{name}`` does). The vault delivers
``SecretNearExpiry`` into ``key-events`` as Event Grid would (devstack.vault.events;
schema: learn.microsoft.com/azure/event-grid/event-schema-key-vault, emitted 30 days before
expiry). Each test starts from a key whose expiry is 90 days away and moves it into the
window itself (``devstack.rehearsal.make_near_expiry``).

Every scenario ends with a key the partner accepts, in the vault, and nothing lost; the
module ends with the leak canary over everything the stack wrote, including every key the
partner issued.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from azure.keyvault.secrets import SecretClient

from devstack import rehearsal
from devstack.runner import RunningStack
from devstack.tokens import ROTATION_IDENTITY_CLIENT_ID, IssuerCredential
from tests.support.canary import leaks, outputs, partner_keys
from tests.support.stacks import Stacks
from tests.support.waiting import eventually

GRACE = 6.0
SETTINGS = {
    "SECRET_CACHE_TTL_SECONDS": "2",
    "ROTATION_GRACE_SECONDS": str(GRACE),
    "ROTATION_CLOCK_SKEW_SECONDS": "1",
    "ROTATION_SCHEDULE": "0 0 0 1 1 *",
    # A message whose settlement is lost while Azurite is stopped comes back after this.
    "DEVSTACK_QUEUE_LEASE_SECONDS": "10",
}


@pytest.fixture(scope="module")
def rot(stacks: Stacks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # On disk: an Azurite restart keeps its queues, as storage does in Azure.
    state = tmp_path_factory.mktemp("rotation")
    with stacks.running(state, app_settings=SETTINGS, memory=False) as stack:
        yield stack
        assert leaks(partner_keys(stack), outputs(stack)) == [], "a key was written somewhere"


@pytest.fixture(autouse=True)
def _clear_faults(rot: RunningStack) -> Iterator[None]:
    yield
    for piece in ("vault", "partner-keys"):
        requests.delete(rot.control(f"faults/{piece}"), timeout=10)
    requests.post(rot.control("azurite/start"), timeout=120)


def vault(stack: RunningStack) -> SecretClient:
    return SecretClient(
        stack.endpoints["vault"],
        IssuerCredential(stack.issuer()),
        connection_verify=stack.ca_bundle,
    )


def current_key(stack: RunningStack) -> tuple[str, str, dict[str, str]]:
    """(version, value, tags) of the partner secret now."""
    with vault(stack) as client:
        found = client.get_secret(stack.endpoints["partner_secret_name"])
    return found.properties.version or "", found.value or "", dict(found.properties.tags or {})


def versions(stack: RunningStack) -> list[str]:
    with vault(stack) as client:
        name = stack.endpoints["partner_secret_name"]
        return [p.version or "" for p in client.list_properties_of_secret_versions(name)]


def partner_accepts(stack: RunningStack, key: str) -> bool:
    response = requests.post(
        f"{stack.endpoints['partner']}/v1/analyze",
        json={"text": "is this key still good"},
        headers={"X-Api-Key": key},
        verify=stack.ca_bundle,
        timeout=10,
    )
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def partner_keys_listing(stack: RunningStack, key: str) -> dict[str, dict[str, Any]]:
    response = requests.get(
        f"{stack.endpoints['partner']}/v1/keys",
        headers={"X-Api-Key": key},
        verify=stack.ca_bundle,
        timeout=10,
    )
    response.raise_for_status()
    return {k["id"]: k for k in response.json()["keys"]}


def rotation_state(stack: RunningStack) -> dict[str, Any]:
    blob = stack.blob_service().get_blob_client(
        "rotation", f"{stack.endpoints['partner_secret_name']}.json"
    )
    if not blob.exists():
        return {}  # no rotation has run yet
    state: dict[str, Any] = json.loads(blob.download_blob().readall())
    return state


def submit(stack: RunningStack, text: str) -> requests.Response:
    return requests.post(
        f"{stack.api}/jobs",
        json={"text": text},
        headers={"Authorization": f"Bearer {stack.caller_token('Jobs.Submit')}"},
        timeout=60,
    )


def run_timer(stack: RunningStack) -> None:
    base = stack.api.removesuffix("/api")
    response = requests.post(
        f"{base}/admin/functions/rotation_timer",
        json={"input": ""},
        headers={"Authorization": f"Bearer {stack.caller_token()}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text


def control(stack: RunningStack, method: str, path: str, **body: Any) -> Any:
    response = requests.request(method, stack.control(path), json=body or None, timeout=120)
    assert response.ok, response.text
    return response.json() if response.content else None


def test_near_expiry_event_rotates_and_the_old_key_ends_after_the_grace(
    rot: RunningStack,
) -> None:
    """Event -> new version with expiry and tags -> partner takes the new key -> jobs flow
    without a 401 -> the old key ends when its grace does, and is listed as such."""
    old_version, old_key, old_tags = current_key(rot)
    partner_before = rot.stats("partner")
    assert partner_accepts(rot, old_key)
    rehearsal.make_near_expiry(rot.endpoints)
    new = rehearsal.wait_for_rotation(rot.endpoints, old_version)
    version, new_key, tags = current_key(rot)
    assert version == new.version
    assert tags["partner-key-id"] != old_tags["partner-key-id"]
    assert tags["rotated-by"].endswith(":event")
    assert new.expires_on is not None
    assert new.created_on is not None
    assert round((new.expires_on - new.created_on).total_seconds() / 86400) == 90
    assert partner_accepts(rot, new_key)
    # Revoked with the grace, not at once: it ends GRACE seconds after the rotation.
    old_entry = partner_keys_listing(rot, new_key)[old_tags["partner-key-id"]]
    assert old_entry["status"] in ("expiring", "expired"), old_entry
    rotated_at = datetime.fromisoformat(tags["rotated-at"]).timestamp()
    assert old_entry["expires"] >= rotated_at + GRACE - 1
    accepted = submit(rot, "a job right after the rotation")
    assert accepted.status_code == 202, accepted.text
    # The app's instances moved on within their cache TTL: no call was refused.
    assert rot.stats("partner")["unauthorized"] == partner_before["unauthorized"]

    eventually(lambda: not partner_accepts(rot, old_key), timeout=GRACE + 10, interval=0.5)
    listed = partner_keys_listing(rot, new_key)
    assert listed[old_tags["partner-key-id"]]["revoked"] is True
    assert listed[tags["partner-key-id"]]["status"] == "active"
    state = rotation_state(rot)
    assert state["last_version"] == version
    assert state["last_key_id"] == tags["partner-key-id"]
    assert state["failures_since_rotation"] == 0
    assert state["next_due"] is not None
    # The rotation wrote with its own identity, not the app's.
    assert rot.stats("identity")["by_client_id"].get(ROTATION_IDENTITY_CLIENT_ID, 0) >= 1
    done = submit(rot, "and one after the old key ended")
    assert done.status_code == 202, done.text


def _event_message(version: str, name: str) -> str:
    event = {
        "id": str(uuid.uuid4()),
        "topic": "/subscriptions/x/resourceGroups/devstack/providers/Microsoft.KeyVault/vaults/d",
        "subject": name,
        "eventType": "Microsoft.KeyVault.SecretNearExpiry",
        "eventTime": "2026-01-01T00:00:00Z",
        "data": {
            "Id": f"https://d/secrets/{name}/{version}",
            "VaultName": "devstack",
            "ObjectType": "Secret",
            "ObjectName": name,
            "Version": version,
            "NBF": None,
            "EXP": 1,
        },
        "dataVersion": "1",
        "metadataVersion": "1",
    }
    return base64.b64encode(json.dumps(event).encode()).decode()


def test_duplicate_events_and_a_concurrent_timer_rotate_once(rot: RunningStack) -> None:
    """Three copies of the event and the timer, all at once: one new version, one key."""
    old_version, _, _ = current_key(rot)
    before_versions = len(versions(rot))
    issued_before = rot.stats("partner-keys")["issued"]
    rehearsal.make_near_expiry(rot.endpoints)
    queue = rot.queue_service().get_queue_client("key-events")
    message = _event_message(old_version, rot.endpoints["partner_secret_name"])
    senders = [threading.Thread(target=queue.send_message, args=(message,)) for _ in range(2)]
    for sender in senders:
        sender.start()
    run_timer(rot)
    for sender in senders:
        sender.join()
    rehearsal.wait_for_rotation(rot.endpoints, old_version)
    # Let every copy (and the vault's own event) be handled before counting.
    eventually(lambda: _queue_empty(rot, "key-events"), timeout=30)
    eventually(lambda: "rotation check" in rot.log_text(), timeout=30)
    assert len(versions(rot)) == before_versions + 1
    assert rot.stats("partner-keys")["issued"] == issued_before + 1


def _queue_empty(stack: RunningStack, name: str) -> bool:
    props = stack.queue_service().get_queue_client(name).get_queue_properties()
    return props.approximate_message_count == 0


def test_partner_refusing_is_retried_then_rotates_and_jobs_never_stop(rot: RunningStack) -> None:
    """The key API fails the next 8 calls: the rotation fails (recorded, logged), the
    message is retried, the rotation then succeeds; jobs are accepted all along."""
    old_version, _, _ = current_key(rot)
    control(rot, "PUT", "faults/partner-keys", mode="status", status=503, count=8)
    rehearsal.make_near_expiry(rot.endpoints)
    assert submit(rot, "while the key API is down").status_code == 202
    rehearsal.wait_for_rotation(rot.endpoints, old_version, timeout=90)
    assert rot.stats("partner-keys")["faults"] >= 8
    state = rotation_state(rot)
    assert "PartnerKeyError" in (state["last_failure"] or "")
    assert state["failures_since_rotation"] == 0, "the later success clears the streak"
    assert "the current key stays in use" in rot.log_text()
    _, new_key, _ = current_key(rot)
    assert partner_accepts(rot, new_key)
    assert submit(rot, "after the retried rotation").status_code == 202


def test_vault_failing_after_the_issue_loses_nothing(rot: RunningStack) -> None:
    """The partner issues a key, then the vault fails the write and the check: the key is
    remembered by id, the old one stays in use, and the next run revokes the orphan and
    rotates for real."""
    old_version, old_key, _ = current_key(rot)
    issued_before = set(requests.get(
        f"{rot.endpoints['partner']}/devstack/issued-keys", verify=rot.ca_bundle, timeout=10
    ).json()["keys"])  # fmt: skip
    faults_before = rot.stats("partner-keys")["faults"]
    # The next two key calls answer 6 s late (the listing of old keys, if any, then the
    # issue): the vault goes down while the first waits and stays down past the write.
    control(rot, "PUT", "faults/partner-keys", mode="slow", latency_ms=6000, count=2)
    rehearsal.make_near_expiry(rot.endpoints)
    eventually(lambda: rot.stats("partner-keys")["faults"] >= faults_before + 1, timeout=30)
    control(rot, "PUT", "faults/vault", mode="status", status=503, seconds=25)
    eventually(lambda: rotation_state(rot).get("unconfirmed_keys"), timeout=40)
    assert partner_accepts(rot, old_key), "the old key must stay in use"
    orphan = rotation_state(rot)["unconfirmed_keys"][0]
    control(rot, "DELETE", "faults/vault")
    run_timer(rot)  # the safety net (a redelivered event may get there first: either will do)
    rehearsal.wait_for_rotation(rot.endpoints, old_version, timeout=60)
    _, new_key, tags = current_key(rot)
    assert tags["partner-key-id"] != orphan
    listed = partner_keys_listing(rot, new_key)
    assert listed[orphan]["revoked"] is True, "the orphan key was never revoked"
    assert rotation_state(rot)["unconfirmed_keys"] == []
    issued = set(requests.get(
        f"{rot.endpoints['partner']}/devstack/issued-keys", verify=rot.ca_bundle, timeout=10
    ).json()["keys"])  # fmt: skip
    assert issued - issued_before, "no key was issued"
    assert partner_accepts(rot, new_key)
    assert submit(rot, "after the vault came back").status_code == 202


def test_azurite_outage_during_the_rotation_ends_with_one_working_key(rot: RunningStack) -> None:
    """Storage stops while the partner is issuing: the lease cannot be renewed, so the new
    key is revoked and the old one stays; the event comes back with storage and rotates."""
    old_version, old_key, _ = current_key(rot)
    faults_before = rot.stats("partner-keys")["faults"]
    control(rot, "PUT", "faults/partner-keys", mode="slow", latency_ms=6000, count=2)
    rehearsal.make_near_expiry(rot.endpoints)
    eventually(lambda: rot.stats("partner-keys")["faults"] >= faults_before + 1, timeout=30)
    assert control(rot, "POST", "azurite/stop") == {"running": False}
    try:
        eventually(lambda: "revoked, the old key stays in use" in rot.log_text(), timeout=40)
        assert current_key(rot)[0] == old_version
        assert partner_accepts(rot, old_key)
    finally:
        assert control(rot, "POST", "azurite/start") == {"running": True}
    rehearsal.wait_for_rotation(rot.endpoints, old_version, timeout=90)
    _, new_key, _ = current_key(rot)
    assert partner_accepts(rot, new_key)
    assert submit(rot, "after storage came back").status_code == 202
