"""Token prober pieces that need no service: endpoint discovery, claims, identity judgement.

The probes themselves run against the devstack (tests/integration/test_posture_stack.py).
"""

from __future__ import annotations

import base64
import json

import pytest

from posture.context import CheckContext
from posture.model import Status, get_rule
from posture.runner import run_rules
from posture.sources.probes import (
    OK,
    REFUSED,
    Endpoint,
    ProbeResult,
    identity_endpoints,
    token_claims,
)

MI_CLIENT = "22222222-2222-4222-8222-222222222222"
MIRID = (
    "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity"
    "/userAssignedIdentities/id-app"
)


def jwt(claims: dict[str, object]) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


def test_endpoints_follow_the_hosts_setting_names() -> None:
    env = {
        "AzureWebJobsStorage__blobServiceUri": "https://a.blob.core.windows.net",
        "AzureWebJobsStorage__queueServiceUri": "https://a.queue.core.windows.net",
        "AzureWebJobsStorage__credential": "managedidentity",
        "Both__serviceUri": "https://b.blob.core.windows.net",
        "Both__queueServiceUri": "https://b.queue.core.windows.net",
        "Alias__serviceUri": "https://c.queue.core.windows.net",
        "Local__serviceUri": "https://127.0.0.1:10000/devstoreaccount1",
        "Bus__fullyQualifiedNamespace": "sb-x.servicebus.windows.net",
        "AzureFunctionsJobHost__extensions__queues__batchSize": "16",
        "KEY_VAULT_URI": "https://kv.vault.azure.net/",
        "Empty__blobServiceUri": "",
    }
    found = {(e.setting, e.connection, e.service) for e in identity_endpoints(env)}
    assert found == {
        ("AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage", "blob"),
        ("AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage", "queue"),
        ("Both__queueServiceUri", "Both", "queue"),
        ("Alias__serviceUri", "Alias", "queue"),
        ("Local__serviceUri", "Local", "unknown"),
        ("Bus__fullyQualifiedNamespace", "Bus", "servicebus"),
        ("KEY_VAULT_URI", "KEY_VAULT_URI", "vault"),
    }


def test_claims_keep_identity_fields_and_drop_user_names() -> None:
    claims = token_claims(
        jwt({"aud": "https://storage.azure.com", "oid": "o", "appid": "a", "upn": "dev@x.test"})
    )
    assert claims == {"aud": "https://storage.azure.com", "oid": "o", "appid": "a", "user": "true"}
    assert token_claims("opaque-token") == {}
    assert token_claims("a.!!!.c") == {}


def _judge(env: dict[str, str], claims: dict[str, str]) -> tuple[Status, str]:
    context = CheckContext(env=env)
    endpoint = Endpoint("JobsStorage__blobServiceUri", "JobsStorage", "blob", "https://x")
    result = ProbeResult(endpoint, OK, "ok", token_ms=1.0, read_ms=1.0, claims=claims)
    context.memo("token-probes", lambda: [result])
    (outcome,) = run_rules(context, rules=[get_rule("RT-TOKEN-IDENTITY")]).outcomes
    return outcome.result.status, outcome.result.message


MANAGED = {"oid": "o", "appid": MI_CLIENT, "idtyp": "app", "xms_mirid": MIRID}
#: The host's storage connection marks an app's environment (the rules refuse to judge
#: one without it: posture.sources.env.require_loaded).
LOADED = {"AzureWebJobsStorage__blobServiceUri": "https://sthost.blob.core.windows.net/"}
AZURE = {**LOADED, "WEBSITE_SITE_NAME": "func", "AZURE_CLIENT_ID": MI_CLIENT}


@pytest.mark.parametrize(
    ("env", "claims", "status", "words"),
    [
        (AZURE, MANAGED, Status.PASS, "managed identity"),
        (AZURE, {**MANAGED, "appid": "99999999-0000-4000-8000-000000000000"}, Status.FAIL,
         "another client id"),
        (AZURE, {"oid": "o", "appid": MI_CLIENT, "idtyp": "app"}, Status.FAIL, "no xms_mirid"),
        (LOADED, {"oid": "o", "appid": "cli", "user": "true"}, Status.FAIL, "developer"),
        (LOADED, {"oid": "o", "appid": "a", "idtyp": "app"}, Status.PASS, "managed identity"),
        (LOADED, {}, Status.FAIL, "not a JWT"),
        ({}, MANAGED, Status.UNKNOWN, "environment is not loaded"),
    ],
)  # fmt: skip
def test_token_identity_judgement(
    env: dict[str, str], claims: dict[str, str], status: Status, words: str
) -> None:
    judged, message = _judge(env, claims)
    assert judged is status
    assert words in message


def test_connection_token_fails_on_refusal_and_is_unknown_without_connections() -> None:
    context = CheckContext(env=LOADED)
    endpoint = Endpoint("KEY_VAULT_URI", "KEY_VAULT_URI", "vault", "https://kv")
    refused = ProbeResult(endpoint, REFUSED, "the service refused the token (HTTP 401)", 401)
    context.memo("token-probes", lambda: [refused])
    (outcome,) = run_rules(context, rules=[get_rule("RT-CONN-TOKEN")]).outcomes
    assert outcome.result.status is Status.FAIL
    assert "KEY_VAULT_URI (refused)" in outcome.result.message
    keyed = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    empty = run_rules(CheckContext(env=keyed), rules=[get_rule("RT-CONN-TOKEN")]).outcomes[0]
    assert empty.result.status is Status.UNKNOWN
    assert "no identity-based connection to probe" in empty.result.message
