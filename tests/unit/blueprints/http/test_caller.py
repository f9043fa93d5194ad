"""blueprints.http.caller: the caller is whoever its verified token says, headers aside.

The zero-trust rows: a forged ``X-MS-CLIENT-PRINCIPAL`` with no token is 401 (what reaches
the app when App Service Authentication is off); with a token, the roles are the token's,
never the header's. The on-stack twin, through a host with authentication off, is
tests/integration/test_zero_trust.py.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import azure.functions as func
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from blueprints.http.caller import require_caller
from blueprints.http.errors import ApiError, Forbidden, Unauthenticated, Unavailable
from devstack.tokens import TokenIssuer
from shared.callers import _token as callertoken
from tests.support.servers import serve

AUDIENCE = "api://caller-tests"
CALLER = str(uuid.uuid4())


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture
def keys_up(issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    up = [True]

    async def jwks(_: Request) -> Response:
        return JSONResponse(issuer.jwks()) if up[0] else Response(status_code=503)

    with serve(Starlette(routes=[Route("/keys", jwks)])) as (base, _):
        verifier = callertoken.TokenVerifier(
            issuers=[issuer.issuer], audiences=[AUDIENCE], jwks_url=f"{base}/keys"
        )
        monkeypatch.setattr(callertoken, "_verifier", verifier)
        yield up


def forged_admin() -> dict[str, str]:
    claims = [{"typ": "oid", "val": CALLER}, {"typ": "roles", "val": "Jobs.Admin"}]
    document = {"claims": claims, "role_typ": "roles"}
    return {
        "X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(document).encode()).decode(),
        "X-MS-CLIENT-PRINCIPAL-ID": CALLER,
    }


def request(headers: dict[str, str]) -> func.HttpRequest:
    return func.HttpRequest(method="GET", url="/api/jobs/x", headers=headers, body=b"")


def bearer(issuer: TokenIssuer, *roles: str) -> dict[str, str]:
    token = issuer.mint(AUDIENCE, object_id=CALLER, app_id="caller", roles=list(roles)).token
    return {"Authorization": f"Bearer {token}"}


def test_a_forged_principal_without_a_token_is_401(keys_up: list[bool]) -> None:
    with pytest.raises(Unauthenticated) as caught:
        require_caller(request(forged_admin()), "Jobs.Admin")
    answer = caught.value.response()
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert json.loads(answer.get_body())["error"]["code"] == "unauthenticated"


def test_the_roles_are_the_tokens_not_the_headers(keys_up: list[bool], issuer: TokenIssuer) -> None:
    headers = {**forged_admin(), **bearer(issuer, "Jobs.Submit")}
    assert require_caller(request(headers), "Jobs.Submit").object_id == CALLER
    with pytest.raises(Forbidden, match=r"lacks the app role Jobs\.Admin"):
        require_caller(request(headers), "Jobs.Admin")


def test_the_first_missing_role_is_named(keys_up: list[bool], issuer: TokenIssuer) -> None:
    reader = request(bearer(issuer, "Posture.Read"))
    assert require_caller(reader, "Posture.Admin", "Posture.Read").object_id == CALLER
    with pytest.raises(Forbidden, match=r"lacks the app role Jobs\.Submit"):
        require_caller(reader, "Jobs.Submit", "Jobs.Admin")


def test_no_issuer_keys_is_503_not_a_verdict(keys_up: list[bool], issuer: TokenIssuer) -> None:
    keys_up[0] = False
    with pytest.raises(Unavailable) as caught:
        require_caller(request(bearer(issuer, "Jobs.Submit")))
    assert isinstance(caught.value, ApiError)
    assert caught.value.response().headers["Retry-After"]
