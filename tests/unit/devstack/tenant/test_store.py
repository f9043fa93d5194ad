"""The federated token exchange of the local partner tenant, checked as Entra checks it.

Microsoft's "Configure an application to trust a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity):
the federated credential's issuer and subject are compared with the managed identity token's
``iss`` and ``sub``, its audiences with the token's ``aud``; only then is a token issued.
Each refusal below is a generated assertion that one check alone refuses, answered with the
code Entra gives (devstack/tenant/errors.py cites where each was confirmed); the token that
passes is held to the claims a Microsoft identity platform protected API checks.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from devstack.tenant.errors import EntraError
from devstack.tenant.seed import (
    PARTNER_API_APP_ID,
    PARTNER_API_ROLE,
    PARTNER_TENANT_ID,
    SERVICE_PRINCIPAL_ID,
)
from devstack.tenant.store import FederatedCredential
from devstack.tokens import APP_IDENTITY_OBJECT_ID, TokenIssuer, v2_issuer_url
from tests.unit.devstack.tenant.conftest import ORIGIN, Tenant


def refusal(tenant: Tenant, form: dict[str, str], *, at: str = PARTNER_TENANT_ID) -> EntraError:
    with pytest.raises(EntraError) as refused:
        tenant.directory.exchange(at, form)
    return refused.value


def test_the_seeded_exchange_issues_a_v2_token_of_the_partner_tenant(tenant: Tenant) -> None:
    answer = tenant.directory.exchange(PARTNER_TENANT_ID, tenant.form())
    assert answer["token_type"] == "Bearer"
    assert 3000 < answer["expires_in"] <= 3600
    claims: dict[str, Any] = jwt.decode(
        answer["access_token"],
        key=tenant.directory.issuer.public_key(),
        algorithms=["RS256"],
        audience=PARTNER_API_APP_ID,
        issuer=f"{ORIGIN}/{PARTNER_TENANT_ID}/v2.0",
    )
    assert claims["tid"] == PARTNER_TENANT_ID
    assert claims["azp"] == tenant.settings["PARTNER_APP_CLIENT_ID"]
    assert claims["oid"] == claims["sub"] == SERVICE_PRINCIPAL_ID
    assert claims["roles"] == [PARTNER_API_ROLE]
    assert claims["ver"] == "2.0"
    assert tenant.directory.issued_tokens() == [answer["access_token"]]
    assert tenant.directory.stats() == {"token_requests": 1, "issued": 1, "refused": {}}


def test_the_assertion_is_the_identity_s_v2_token_that_the_credential_trusts(
    tenant: Tenant,
) -> None:
    claims = jwt.decode(tenant.assertion(), options={"verify_signature": False})
    assert claims["iss"] == v2_issuer_url(tenant.home.tenant_id)
    assert claims["sub"] == APP_IDENTITY_OBJECT_ID
    assert claims["aud"] == "api://AzureADTokenExchange"
    (credential,) = tenant.directory.registration(
        tenant.settings["PARTNER_APP_CLIENT_ID"]
    ).federated  # type: ignore[union-attr]
    assert (credential.issuer, credential.subject, credential.audiences) == (
        claims["iss"],
        claims["sub"],
        (claims["aud"],),
    )


OTHER_IDENTITY = "12121212-1212-4212-8212-121212121212"


@pytest.mark.parametrize(
    ("case", "claims", "code"),
    [
        ("another identity", {"sub": OTHER_IDENTITY}, 700213),
        ("a wrong audience", {"aud": "api://AzureADTokenExchangeUSGov"}, 700212),
        ("another issuer", {"iss": "https://token.actions.githubusercontent.com"}, 700211),
        ("another tenant's identity", {"iss": v2_issuer_url(OTHER_IDENTITY)}, 700211),
        ("an expired assertion", {"exp": int(time.time()) - 3600, "iat": 0, "nbf": 0}, 700024),
    ],
)
def test_a_mismatched_assertion_is_refused_with_entra_s_code(
    tenant: Tenant, case: str, claims: dict[str, Any], code: int
) -> None:
    refused = refusal(tenant, tenant.form(tenant.assertion(**claims)))
    assert refused.code == code, case
    assert refused.status == 400
    assert tenant.directory.issued_tokens() == []
    assert tenant.directory.stats()["refused"] == {f"AADSTS{code}": 1}


def test_an_assertion_signed_by_another_key_fails_its_signature(tenant: Tenant) -> None:
    forged = tenant.assertion(signer=TokenIssuer.generate())
    assert refusal(tenant, tenant.form(forged)).code == 700027


def test_an_issuer_it_has_no_keys_for_is_an_external_oidc_failure(tenant: Tenant) -> None:
    client = tenant.settings["PARTNER_APP_CLIENT_ID"]
    outside = "https://issuer.example.net"
    tenant.directory.set_federated(
        client, FederatedCredential("ci", outside, "ci", ("api://AzureADTokenExchange",))
    )
    assert refusal(tenant, tenant.form(tenant.assertion(iss=outside))).code == 90061


def test_an_app_without_federated_credentials_is_70021(tenant: Tenant) -> None:
    client = tenant.settings["PARTNER_APP_CLIENT_ID"]
    assert tenant.directory.remove_federated(client, "app-identity")
    refused = refusal(tenant, tenant.form())
    assert refused.code == 70021
    assert "Assertion Subject" in refused.description
    tenant.directory.reset()
    assert tenant.directory.exchange(PARTNER_TENANT_ID, tenant.form())["access_token"]


def test_without_the_partner_s_consent_the_app_is_not_in_its_directory(tenant: Tenant) -> None:
    assert tenant.directory.revoke_consent(tenant.settings["PARTNER_APP_CLIENT_ID"])
    assert refusal(tenant, tenant.form()).code == 700016


@pytest.mark.parametrize(
    ("case", "fields", "code"),
    [
        ("no grant type", {"grant_type": ""}, 900144),
        ("another grant", {"grant_type": "password"}, 70003),
        ("no assertion", {"client_assertion": ""}, 900144),
        ("a delegated scope", {"scope": "api://partner-analysis-local/Analysis.Read"}, 70011),
        ("another API", {"scope": "api://elsewhere/.default"}, 500011),
        ("an unknown app", {"client_id": OTHER_IDENTITY}, 700016),
        ("not a JWT", {"client_assertion": "not-a-token"}, 50027),
    ],
)
def test_a_malformed_request_is_refused_with_entra_s_code(
    tenant: Tenant, case: str, fields: dict[str, str], code: int
) -> None:
    assert refusal(tenant, {**tenant.form(), **fields}).code == code, case


def test_another_tenant_is_not_found(tenant: Tenant) -> None:
    assert refusal(tenant, tenant.form(), at=OTHER_IDENTITY).code == 90002


def test_the_error_body_has_entra_s_fields_and_names_no_token(tenant: Tenant) -> None:
    assertion = tenant.assertion(sub=OTHER_IDENTITY)
    body = refusal(tenant, tenant.form(assertion)).body()
    assert set(body) == {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    }
    assert body["error_codes"] == [700213]
    assert body["error_description"].startswith("AADSTS700213: ")
    assert "\r\nTrace ID: " in body["error_description"]
    assert body["error_uri"].endswith("?code=700213")
    assert assertion not in str(body)
