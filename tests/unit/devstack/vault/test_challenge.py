"""The devstack vault's bearer challenge: Key Vault's 401s, and which audience it accepts."""

from __future__ import annotations

import secrets

import pytest

from devstack.tokens import TokenIssuer
from devstack.vault.api import challenge_resource
from tests.unit.devstack.vault.vaulthttp import (
    API,
    ORIGIN,
    RESOURCE,
    T0,
    Http,
    error,
)


@pytest.mark.parametrize(
    ("origin", "resource"),
    [
        ("https://127.0.0.1:7073", "https://0.0.1:7073"),
        ("https://127.0.0.1:7073/", "https://0.0.1:7073"),
        ("https://myvault.vault.azure.net", "https://vault.azure.net"),
        ("https://vault.localhost:8443", "https://localhost:8443"),
    ],
)
def test_challenge_resource_is_the_parent_domain(origin: str, resource: str) -> None:
    assert challenge_resource(origin) == resource


@pytest.mark.parametrize("origin", ["https://localhost:7073", "http://127.0.0.1:7073", "vault"])
def test_challenge_resource_refuses_origins_the_sdk_cannot_verify(origin: str) -> None:
    with pytest.raises(ValueError, match="vault"):
        challenge_resource(origin)


def test_request_without_token_gets_key_vaults_challenge(anon: Http, issuer: TokenIssuer) -> None:
    response = anon.get("/secrets/anything", params=API)
    assert error(response) == (401, "Unauthorized", "Request is missing a Bearer or PoP token.")
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer authorization="https://login.microsoftonline.com/{issuer.tenant_id}", '
        f'resource="{RESOURCE}"'
    )


def test_challenge_is_answered_before_api_version_or_body_is_looked_at(anon: Http) -> None:
    # The SDK's discovery request is a bodiless copy of the first real request.
    response = anon.put("/secrets/x", headers={"Content-Length": "0"})
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("scheme", ["Basic abc", "Bearer", "Bearer   ", "bearer-ish x"])
def test_a_non_bearer_authorization_is_a_missing_token(anon: Http, scheme: str) -> None:
    response = anon.get("/secrets", params=API, headers={"Authorization": scheme})
    assert error(response)[:2] == (401, "Unauthorized")
    assert "missing a Bearer" in error(response)[2]


@pytest.mark.parametrize(
    "audience",
    ["https://storage.azure.com", ORIGIN, ORIGIN + "/", RESOURCE + "/", "https://vault.azure.net"],
)
def test_only_the_exact_challenge_resource_is_a_valid_audience(
    anon: Http, issuer: TokenIssuer, audience: str
) -> None:
    token = issuer.mint_for_app_identity(audience).token
    response = anon.get("/secrets", params=API, headers={"Authorization": f"Bearer {token}"})
    status, code, message = error(response)
    assert (status, code) == (401, "Unauthorized")
    assert message == f"AKV10022: Invalid audience. Expected {RESOURCE}, found: {audience}."
    assert "WWW-Authenticate" in response.headers
    assert token not in response.text


def test_expired_token_is_refused_like_key_vault(anon: Http, issuer: TokenIssuer) -> None:
    token = issuer.mint_for_app_identity(RESOURCE)
    expired = issuer.mint(RESOURCE, object_id="o", app_id="a", lifetime=-60).token
    response = anon.get("/secrets", params=API, headers={"Authorization": f"Bearer {expired}"})
    assert error(response) == (
        401,
        "Unauthorized",
        "[TokenExpired] Error validating token: 'S2S12086'.",
    )
    assert "WWW-Authenticate" in response.headers
    assert expired not in response.text
    assert token.token not in response.text


@pytest.mark.parametrize("fault", ["foreign-signature", "not-yet-valid", "garbage"])
def test_other_bad_tokens_are_refused_without_echoing_them(
    anon: Http, issuer: TokenIssuer, fault: str
) -> None:
    if fault == "foreign-signature":
        token = TokenIssuer.generate().mint_for_app_identity(RESOURCE).token
    elif fault == "not-yet-valid":
        later = issuer.mint(RESOURCE, object_id="o", app_id="a", not_before=T0 * 2)
        token = later.token
    else:
        token = secrets.token_urlsafe(40)
    response = anon.get("/secrets", params=API, headers={"Authorization": f"Bearer {token}"})
    status, code, message = error(response)
    assert (status, code) == (401, "Unauthorized")
    assert message.startswith("Error validating token: ")
    assert token not in response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization=")
