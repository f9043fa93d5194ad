"""The partner stub as an Entra-protected API: its tenant's token with the role, never a key.

What a Microsoft identity platform protected web API validates in an access token
(https://learn.microsoft.com/entra/identity-platform/access-tokens, "Validate tokens"): the
signature with the tenant's keys, ``iss``, ``aud``, the lifetime, ``tid`` for a single
tenant's API, and ``roles`` for an app calling with application permissions. Each refusal
below is a token that one of those checks alone refuses; RFC 6750 section 3 gives the
``WWW-Authenticate: Bearer error="..."`` challenge and its ``invalid_token`` and
``insufficient_scope`` codes. And the API refuses a call that carries a key at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.control import create_control_app
from devstack.partner.api import create_partner_app
from devstack.tenant.seed import (
    APP_REGISTRATION_ID,
    PARTNER_API_APP_ID,
    PARTNER_API_ROLE,
    PARTNER_TENANT_ID,
    local_directory,
    partner_gate,
)
from devstack.tenant.store import ASSERTION_TYPE, Directory
from devstack.tokens import TokenIssuer
from tests.support.servers import Switch
from tests.unit.devstack.partner.partnerhttp import HEADER, Http, stats

ORIGIN = "https://127.0.0.1:7076"


@pytest.fixture(scope="module")
def home() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture
def directory(home: TokenIssuer) -> Directory:
    return local_directory({}, home=home, origin=ORIGIN)


@pytest.fixture
def api(
    served: tuple[Switch, str], control_served: tuple[Switch, str], directory: Directory
) -> Iterator[tuple[Http, Http]]:
    """(the partner's API, its control plane) with the bearer gate of ``directory``."""
    partner = create_partner_app(accepted_key=lambda: None, bearer=partner_gate(directory))
    served[0].app = partner
    control_served[0].app = create_control_app(
        faults={"partner": partner.faults}, counters={"partner": partner.counters}
    )
    with Http(served[1]) as http, Http(control_served[1] + "/devstack") as control:
        yield http, control


def token(directory: Directory, **changes: Any) -> str:
    """A token of ``directory``'s tenant for the partner API, with ``changes``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": directory.issuer.issuer,
        "aud": PARTNER_API_APP_ID,
        "tid": PARTNER_TENANT_ID,
        "roles": [PARTNER_API_ROLE],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "uti": f"uti-{now}-{len(changes)}-{sorted(changes)}",
        **changes,
    }
    signer = claims.pop("signer", directory.issuer)
    return str(signer.sign(claims))


def call(http: Http, bearer: str | None, **headers: str) -> Any:
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return http.post("/v1/analyze", json={"text": "a good day"}, headers=headers)


def test_a_token_of_its_tenant_with_the_role_is_served(
    api: tuple[Http, Http], directory: Directory
) -> None:
    http, control = api
    answer = call(http, token(directory))
    assert answer.status_code == 200, answer.text
    counted = stats(control)
    assert counted["by_tenant"] == {PARTNER_TENANT_ID: 1}
    assert (counted["tokens_presented"], counted["keys_presented"]) == (1, 0)


def test_the_token_the_tenant_exchanges_an_assertion_for_is_accepted(
    api: tuple[Http, Http], directory: Directory, home: TokenIssuer
) -> None:
    form = {
        "client_assertion": home.mint_exchange_assertion("api://AzureADTokenExchange").token,
        "client_assertion_type": ASSERTION_TYPE,
        "client_id": APP_REGISTRATION_ID,
        "grant_type": "client_credentials",
        "scope": "api://partner-analysis-local/.default",
    }
    issued = directory.exchange(PARTNER_TENANT_ID, form)["access_token"]
    assert call(api[0], issued).status_code == 200


@pytest.mark.parametrize(
    ("case", "changes", "status", "error"),
    [
        ("another tenant", {"tid": "12121212-1212-4212-8212-121212121212"}, 401, "invalid_token"),
        ("another audience", {"aud": "api://elsewhere"}, 401, "invalid_token"),
        ("another issuer", {"iss": "https://sts.windows.net/x/"}, 401, "invalid_token"),
        ("expired", {"exp": int(time.time()) - 3600}, 401, "invalid_token"),
        ("without the role", {"roles": ["Other.Role"]}, 403, "insufficient_scope"),
        ("no roles at all", {"roles": []}, 403, "insufficient_scope"),
    ],
)
def test_a_token_one_check_refuses_is_refused(
    api: tuple[Http, Http],
    directory: Directory,
    case: str,
    changes: dict[str, Any],
    status: int,
    error: str,
) -> None:
    answer = call(api[0], token(directory, **changes))
    assert answer.status_code == status, case
    assert answer.headers["WWW-Authenticate"] == f'Bearer error="{error}"'
    assert answer.json()["error"] == error
    assert stats(api[1])["by_tenant"] == {}


def test_a_token_signed_by_another_key_is_refused(
    api: tuple[Http, Http], directory: Directory
) -> None:
    assert call(api[0], token(directory, signer=TokenIssuer.generate())).status_code == 401


def test_a_key_is_refused_even_beside_a_good_token(
    api: tuple[Http, Http], directory: Directory
) -> None:
    http, control = api
    assert call(http, None, **{HEADER: "k" * 32}).status_code == 401
    beside = call(http, token(directory), **{HEADER: "k" * 32})
    assert beside.status_code == 401
    assert beside.json()["detail"] == "this API takes no API key"
    counted = stats(control)
    assert (counted["api_key_refused"], counted["keys_presented"], counted["ok"]) == (2, 2, 0)


def test_no_token_is_a_challenge(api: tuple[Http, Http]) -> None:
    answer = call(api[0], None)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_tokens_are_refused_and_new_ones_served(
    api: tuple[Http, Http], directory: Directory
) -> None:
    http, _ = api
    first = token(directory, uti="first")
    assert call(http, first).status_code == 200
    assert http.post("/devstack/revoke-tokens").json() == {"revoked": 1}
    refused = call(http, first)
    assert (refused.status_code, refused.json()["detail"]) == (401, "the token was revoked")
    assert call(http, token(directory, uti="second")).status_code == 200
