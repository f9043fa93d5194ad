"""ENT-PARTNER-CRED, ENT-PARTNER-FIC, ENT-PARTNER-OWNER and KV-NO-PARTNER-KEY on recorded answers.

Shapes: Microsoft Graph v1.0 application (``$expand=owners``: passwordCredentials,
keyCredentials with ``type`` AsymmetricX509Cert or Symmetric), federatedIdentityCredential
(https://learn.microsoft.com/graph/api/resources/federatedidentitycredential: issuer,
subject, audiences) and servicePrincipal (the managed identity's, ``servicePrincipalType``
ManagedIdentity, its ``id`` the identity's object id); Key Vault's Secrets - List through
Resource Manager (Microsoft.KeyVault 2023-07-01: names and attributes, never a value). The
recording is the shape infra/modules/partner-app.bicep deploys and passes; each failure
changes one field. What must match comes from Microsoft's "Configure an application to trust
a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
"""

from __future__ import annotations

from typing import Any

import pytest

from posture.model import Status
from tests.support import recordings
from tests.support.cloud import StubCloud

REC = recordings.load("partner")
ENTRA = {
    "PARTNER_AUTH": "entra",
    "PARTNER_APP_CLIENT_ID": REC["partner_app_client_id"],
    "AZURE_CLIENT_ID": REC["identity_client_id"],
}
RULES = ("ENT-PARTNER-CRED", "ENT-PARTNER-FIC", "ENT-PARTNER-OWNER", "KV-NO-PARTNER-KEY")
APP = 1  # the partner registration's place among the recorded applications
APP_OBJECT = REC["graph_collections"]["applications"][APP]["id"]
FICS = ["responses", f"GET /v1.0/applications/{APP_OBJECT}/federatedIdentityCredentials", "value"]
VAULT = REC["resource_graph"][0]["id"]
SECRETS = ["responses", f"GET {VAULT}/secrets", "value"]
OTHER = "12121212-1212-4212-8212-121212121212"
#: Another vault entry's name, as the recording holds it (not the partner key's).
UNRELATED_ENTRY = "jobs-notification-topic"


def _judge(stub: StubCloud, recording: dict[str, Any], *rules: str, **env: str) -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(*rules, **{**ENTRA, **env})


def _app(*field: str) -> list[Any]:
    return ["graph_collections", "applications", APP, *field]


def test_the_deployed_shape_passes_every_rule(stub: StubCloud) -> None:
    results = _judge(stub, REC, *RULES)
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(RULES, Status.PASS), results
    secrets = stub.requests("/secrets")
    assert secrets
    assert {r["query"]["api-version"] for r in secrets} == {"2023-07-01"}


def test_with_the_key_every_rule_is_skipped_and_nothing_is_read(stub: StubCloud) -> None:
    results = _judge(stub, REC, *RULES, PARTNER_AUTH="key")
    assert {r.status for r in results.values()} == {Status.SKIPPED}
    assert stub.model.requests == []


CREDENTIAL_BREAKS = [
    ("a client secret", _app("passwordCredentials"),
     [{"keyId": "c4000000-0000-4000-8000-000000000001", "displayName": "old",
       "endDateTime": "2099-01-01T00:00:00Z", "startDateTime": "2026-01-01T00:00:00Z"}],
     "holds 1 password(s)"),
    ("a symmetric key", _app("keyCredentials"),
     [{"keyId": "c4000000-0000-4000-8000-000000000002", "type": "Symmetric", "usage": "Verify",
       "endDateTime": "2099-01-01T00:00:00Z", "startDateTime": "2026-01-01T00:00:00Z"}],
     "1 certificate or symmetric key(s)"),
    ("a certificate", _app("keyCredentials"),
     [{"keyId": "c4000000-0000-4000-8000-000000000003", "type": "AsymmetricX509Cert",
       "usage": "Verify", "endDateTime": "2099-01-01T00:00:00Z",
       "startDateTime": "2026-01-01T00:00:00Z"}],
     "1 certificate or symmetric key(s)"),
    ("no federated credential", FICS, [], "has no federated credential"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "said"), CREDENTIAL_BREAKS, ids=[b[0] for b in CREDENTIAL_BREAKS]
)
def test_another_credential_or_none_fails_the_credential_rule(
    stub: StubCloud, case: str, path: list[Any], value: Any, said: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "ENT-PARTNER-CRED")[
        "ENT-PARTNER-CRED"
    ]
    assert result.status is Status.FAIL, case
    assert said in result.message
    (evidence,) = result.evidence
    assert evidence["app_id"] == REC["partner_app_client_id"]


FIC_BREAKS = [
    ("another identity", [*FICS, 0, "subject"], OTHER, "subject is not the app's identity"),
    ("another tenant", [*FICS, 0, "issuer"], f"https://login.microsoftonline.com/{OTHER}/v2.0",
     "issuer is not this tenant's v2.0 authority"),
    ("the v1 issuer", [*FICS, 0, "issuer"], f"https://sts.windows.net/{REC['tenant_id']}/",
     "issuer is not this tenant's v2.0 authority"),
    ("another audience", [*FICS, 0, "audiences"], ["api://AzureADTokenExchangeUSGov"],
     "audiences are not exactly api://AzureADTokenExchange"),
    ("two audiences", [*FICS, 0, "audiences"], ["api://AzureADTokenExchange", "api://other"],
     "audiences are not exactly api://AzureADTokenExchange"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "problem"), FIC_BREAKS, ids=[b[0] for b in FIC_BREAKS]
)
def test_a_credential_that_trusts_anything_else_fails(
    stub: StubCloud, case: str, path: list[Any], value: Any, problem: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "ENT-PARTNER-FIC")["ENT-PARTNER-FIC"]
    assert result.status is Status.FAIL, case
    assert [e["problem"] for e in result.evidence] == [problem]


def test_a_second_credential_trusting_ci_fails_even_beside_the_right_one(stub: StubCloud) -> None:
    ci = {"id": "f1000000-0000-4000-8000-000000000002", "name": "ci",
          "issuer": "https://token.actions.githubusercontent.com",
          "subject": "repo:contoso/app:environment:production",
          "audiences": ["api://AzureADTokenExchange"]}  # fmt: skip
    first = REC["responses"][FICS[1]]["value"][0]
    result = _judge(stub, recordings.derive(REC, FICS, [first, ci]), "ENT-PARTNER-FIC")[
        "ENT-PARTNER-FIC"
    ]
    assert result.status is Status.FAIL
    assert {(e["credential"], e["problem"]) for e in result.evidence} == {
        ("ci", "issuer is not this tenant's v2.0 authority"),
        ("ci", "subject is not the app's identity"),
    }


def test_a_registration_without_owner_fails(stub: StubCloud) -> None:
    result = _judge(stub, recordings.derive(REC, _app("owners"), []), "ENT-PARTNER-OWNER")
    assert result["ENT-PARTNER-OWNER"].status is Status.FAIL
    assert result["ENT-PARTNER-OWNER"].evidence[0]["owners"] == 0


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_a_partner_key_left_in_the_vault_fails_enabled_or_not(
    stub: StubCloud, enabled: bool
) -> None:
    left = {"id": f"{VAULT}/secrets/partner-api-key", "name": "partner-api-key",
            "type": "Microsoft.KeyVault/vaults/secrets",
            "properties": {"attributes": {"enabled": enabled, "created": 1767225600}}}  # fmt: skip
    kept = REC["responses"][SECRETS[1]]["value"]
    result = _judge(stub, recordings.derive(REC, SECRETS, [*kept, left]), "KV-NO-PARTNER-KEY")[
        "KV-NO-PARTNER-KEY"
    ]
    assert result.status is Status.FAIL
    (evidence,) = result.evidence
    assert (evidence["resource"], evidence["property"]) == ("kv-app", "secrets/partner-api-key")
    assert evidence["value"] == ("enabled" if enabled else "disabled")
    # Another name for the key: the one the app was configured with.
    renamed = _judge(
        stub, recordings.derive(REC, SECRETS, [*kept, left]), "KV-NO-PARTNER-KEY",
        PARTNER_API_KEY_SECRET_NAME=UNRELATED_ENTRY,
    )["KV-NO-PARTNER-KEY"]  # fmt: skip
    assert renamed.status is Status.FAIL
    assert renamed.evidence[0]["property"] == f"secrets/{UNRELATED_ENTRY}"


@pytest.mark.parametrize(
    ("case", "env", "rule_id", "said"),
    [
        ("no registration named", {"PARTNER_APP_CLIENT_ID": ""}, "ENT-PARTNER-CRED",
         "PARTNER_APP_CLIENT_ID is not set"),
        ("a registration Graph does not list", {"PARTNER_APP_CLIENT_ID": OTHER},
         "ENT-PARTNER-OWNER", f"no app registration with client id {OTHER}"),
        ("no identity named", {"AZURE_CLIENT_ID": ""}, "ENT-PARTNER-FIC",
         "AZURE_CLIENT_ID is not set"),
        ("an identity Graph does not list", {"AZURE_CLIENT_ID": OTHER}, "ENT-PARTNER-FIC",
         f"no service principal of the identity {OTHER}"),
        ("Graph off", {"POSTURE_GRAPH_ENABLED": "false"}, "ENT-PARTNER-FIC",
         "POSTURE_GRAPH_ENABLED"),
    ],
)  # fmt: skip
def test_what_cannot_be_seen_is_unknown_never_a_pass(
    stub: StubCloud, case: str, env: dict[str, str], rule_id: str, said: str
) -> None:
    result = _judge(stub, REC, rule_id, **env)[rule_id]
    assert result.status is Status.UNKNOWN, case
    assert said in result.message


def test_graph_refusing_is_an_error_naming_the_permission(stub: StubCloud) -> None:
    refused = recordings.model(REC)
    refused.graph_failure = (403, "Authorization_RequestDenied")
    stub.use(refused)
    results = stub.evaluate("ENT-PARTNER-CRED", "ENT-PARTNER-FIC", "ENT-PARTNER-OWNER", **ENTRA)
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert all("Application.Read.All" in r.message for r in results.values())
