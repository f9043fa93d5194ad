"""The local managed-identity endpoint: App Service's protocol, and the token for the exchange.

Microsoft's "Configure an application to trust a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity):
the federated credential's issuer is the tenant's v2.0 authority and its subject the
identity's object id, and its audience "specifies the value that appears in the aud claim
in the managed identity token". So the endpoint's token for ``api://AzureADTokenExchange``
carries exactly those; a token for any other resource stays the v1 token it always was.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import jwt
import pytest
import requests

from devstack.identity_server import API_VERSION, TOKEN_PATH, create_identity_app
from devstack.tokens import (
    APP_IDENTITY_OBJECT_ID,
    ROTATION_IDENTITY_CLIENT_ID,
    ROTATION_IDENTITY_OBJECT_ID,
    TokenIssuer,
    issuer_url,
    v2_issuer_url,
)
from tests.support.servers import serve

HEADER = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture(scope="module")
def endpoint(issuer: TokenIssuer) -> Iterator[str]:
    with serve(create_identity_app(issuer=issuer, identity_header=HEADER)) as (base, _):
        yield base + TOKEN_PATH


def token_for(endpoint: str, resource: str, **params: str) -> str:
    answer = requests.get(
        endpoint,
        params={"api-version": API_VERSION, "resource": resource, **params},
        headers={"X-IDENTITY-HEADER": HEADER},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


@pytest.mark.parametrize(
    ("params", "object_id"),
    [({}, APP_IDENTITY_OBJECT_ID), ({"client_id": ROTATION_IDENTITY_CLIENT_ID},
                                    ROTATION_IDENTITY_OBJECT_ID)],
)  # fmt: skip
def test_the_exchange_token_is_v2_with_the_identity_s_object_id_as_subject(
    endpoint: str, issuer: TokenIssuer, params: dict[str, str], object_id: str
) -> None:
    token = token_for(endpoint, "api://AzureADTokenExchange", **params)
    claims = jwt.decode(
        token,
        key=issuer.public_key(),
        algorithms=["RS256"],
        audience="api://AzureADTokenExchange",
        issuer=v2_issuer_url(issuer.tenant_id),
    )
    assert (claims["sub"], claims["oid"], claims["ver"]) == (object_id, object_id, "2.0")


def test_other_resources_keep_the_v1_token(endpoint: str, issuer: TokenIssuer) -> None:
    token = token_for(endpoint, "https://vault.azure.net")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["ver"]) == (
        issuer_url(issuer.tenant_id),
        "https://vault.azure.net",
        "1.0",
    )
