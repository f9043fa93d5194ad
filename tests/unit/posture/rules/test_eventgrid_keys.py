"""EG-DELIVERY and KV-KEYS against recorded Event Grid subscriptions and Key Vault keys.

Event Subscriptions - List (Microsoft.EventGrid 2025-02-15; azure-mgmt-eventgrid
EventSubscription: ``destination`` or ``deliveryWithResourceIdentity``, WebHook
``endpointBaseUrl`` and ``azureActiveDirectoryApplicationIdOrUri``, static delivery
attributes with ``isSecret``) and Keys - List (Microsoft.KeyVault 2023-07-01; azure-mgmt-keyvault
Key: ``attributes``, ``rotationPolicy.lifetimeActions``). The recording passes; each failure
changes one field.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from posture.model import Status
from tests.support import recordings
from tests.support.cloud import StubCloud

REC = recordings.load("services")
RG = REC["resource_graph"][0]["id"].split("/providers/")[0]
SYSTEM = f"GET {RG}/providers/Microsoft.EventGrid/systemTopics/evgs-kv/eventSubscriptions"
TOPIC = f"GET {RG}/providers/Microsoft.EventGrid/topics/evgt-app/eventSubscriptions"
KEYS = f"GET {RG}/providers/Microsoft.KeyVault/vaults/kv-app/keys"


def _judge(stub: StubCloud, recording: dict[str, Any], rule_id: str) -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(rule_id)[rule_id]


def _fresh(recording: dict[str, Any]) -> dict[str, Any]:
    """The recorded key as made 10 days ago, expiring in 300: its dates follow the clock."""
    now = time.time()
    made = recordings.derive(recording, _key("attributes", "created"), int(now - 10 * 86400))
    return recordings.derive(made, _key("attributes", "exp"), int(now + 300 * 86400))


def test_identity_and_entra_delivery_pass(stub: StubCloud) -> None:
    assert _judge(stub, REC, "EG-DELIVERY").status is Status.PASS
    assert {r["query"]["api-version"] for r in stub.requests("eventSubscriptions")} == {
        "2025-02-15"
    }


def _system(*field: str | int) -> list[Any]:
    return ["responses", SYSTEM, "value", 0, "properties", *field]


def _webhook(*field: str | int) -> list[Any]:
    return ["responses", TOPIC, "value", 0, "properties", "destination", "properties", *field]


def _without_identity(recording: dict[str, Any]) -> dict[str, Any]:
    moved = recordings.derive(
        recording, _system("destination"), recording["responses"][SYSTEM]["value"][0]["properties"]
        ["deliveryWithResourceIdentity"]["destination"],
    )  # fmt: skip
    return recordings.derive(moved, _system("deliveryWithResourceIdentity"), None)


DELIVERY_BREAKS = [
    ("queue written without a managed identity", _without_identity,
     "delivers to StorageQueue without a managed identity"),
    ("webhook without Entra", lambda r: recordings.derive(
        r, _webhook("azureActiveDirectoryApplicationIdOrUri"), None),
     "webhook delivery without Entra authentication: a key in its URL"),
    ("Functions webhook with its system key", lambda r: recordings.derive(
        r, _webhook("endpointBaseUrl"), "https://func-app.azurewebsites.net/runtime/webhooks/eventgrid"),
     "delivers to a Functions webhook, authenticated by its system key"),
    ("secret static header", lambda r: recordings.derive(
        r, _webhook("deliveryAttributeMappings", 0, "properties", "isSecret"), True),
     "static delivery header x-source holds a secret"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "change", "problem"), DELIVERY_BREAKS, ids=[b[0] for b in DELIVERY_BREAKS]
)
def test_each_keyed_delivery_fails_naming_the_subscription(
    stub: StubCloud, case: str, change: Any, problem: str
) -> None:
    result = _judge(stub, change(REC), "EG-DELIVERY")
    assert result.status is Status.FAIL, case
    assert [e["value"] for e in result.evidence] == [problem]
    assert result.evidence[0]["property"].startswith("eventSubscriptions/")


def test_a_key_that_expires_and_rotates_passes(stub: StubCloud) -> None:
    assert _judge(stub, _fresh(REC), "KV-KEYS").status is Status.PASS


def _key(*field: str | int) -> list[Any]:
    return ["responses", KEYS, "value", 0, "properties", *field]


KEY_BREAKS = [
    ("no expiry", _key("attributes", "exp"), None, "no expiration date"),
    ("no rotation", _key("rotationPolicy"), None, "no rotation policy that rotates it"),
    ("notify only", _key("rotationPolicy", "lifetimeActions", 0, "action", "type"), "notify",
     "no rotation policy that rotates it"),
    ("rotates late", _key("rotationPolicy", "lifetimeActions", 0, "trigger", "timeAfterCreate"),
     "P400D", "rotates only 400 days after creation (over 90)"),
    ("valid too long", _key("attributes", "exp"), int(time.time() + 790 * 86400),
     "valid for 800 days"),
    ("expiring soon", _key("attributes", "exp"), int(time.time() + 5 * 86400), "expires in 5 days"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "problem"), KEY_BREAKS, ids=[b[0] for b in KEY_BREAKS]
)
def test_each_standing_key_fails(
    stub: StubCloud, case: str, path: list[Any], value: Any, problem: str
) -> None:
    result = _judge(stub, recordings.derive(_fresh(REC), path, value), "KV-KEYS")
    assert result.status is Status.FAIL, case
    assert problem in [e["value"] for e in result.evidence]


def test_a_disabled_key_is_left_alone(stub: StubCloud) -> None:
    off = recordings.derive(_fresh(REC), _key("attributes", "enabled"), False)
    off = recordings.derive(off, _key("rotationPolicy"), None)
    assert _judge(stub, off, "KV-KEYS").status is Status.PASS


UAI = next(iter(REC["resource_graph"][0]["identity"]["userAssignedIdentities"]))
FICS = f"GET {UAI}/federatedIdentityCredentials"


def test_a_pinned_github_federation_of_the_apps_identity_passes(stub: StubCloud) -> None:
    assert _judge(stub, REC, "MI-FIC").status is Status.PASS
    (listing,) = stub.requests("federatedIdentityCredentials")
    assert listing["query"]["api-version"] == "2023-01-31"


FIC_BREAKS = [
    ("pull requests trusted", "subject", "repo:contoso/secretless-functions:pull_request",
     "GitHub subject trusts pull requests"),
    ("any branch", "subject", "repo:contoso/secretless-functions:ref:refs/heads/*",
     "GitHub subject not pinned to an environment or a branch/tag"),
    ("unknown issuer", "issuer", "https://oidc.example.org", "issuer not in the allow-list"),
    ("wrong audience", "audiences", ["api://other"],
     "audiences are not exactly api://AzureADTokenExchange"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "field", "value", "problem"), FIC_BREAKS, ids=[b[0] for b in FIC_BREAKS]
)
def test_each_loose_federation_of_the_apps_identity_fails(
    stub: StubCloud, case: str, field: str, value: Any, problem: str
) -> None:
    path = ["responses", FICS, "value", 0, "properties", field]
    result = _judge(stub, recordings.derive(REC, path, value), "MI-FIC")
    assert result.status is Status.FAIL, case
    assert [(e["credential"], e["problem"]) for e in result.evidence] == [("deploy-prod", problem)]
    assert result.evidence[0]["resource_id"] == UAI
