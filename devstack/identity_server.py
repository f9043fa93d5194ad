"""The local managed-identity endpoint (App Service protocol).

With ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` in its environment,
``DefaultAzureCredential`` takes its managed-identity path exactly as it does
in App Service and Azure Functions: ``GET {IDENTITY_ENDPOINT}?api-version=
2019-08-01&resource=R`` with the ``X-IDENTITY-HEADER`` header. This endpoint
answers that call with a signed JWT for ``R``, so the app's production code
runs unchanged. Like App Service's own endpoint it speaks plain HTTP on
loopback: no bearer token travels to it, only the per-start header value.

It serves two user-assigned identities, chosen by ``client_id`` as App Service does: the
app's (also the answer when no ``client_id`` is given) and the key rotation's, which
holds the write on the partner secret in Azure (docs/rotation.md). Tokens name the
identity in ``appid``/``oid``, so a service can tell which one called.

A token for ``api://AzureADTokenExchange`` (a client assertion for an app registration that
trusts the identity: docs/partner-entra.md) is the v2.0 token Entra gives for it: issued by
the tenant's v2.0 authority, its subject the identity's object id. Those are kept in memory
for the leak canary alone (``GET /devstack/issued-assertions``).

It also serves the issuer's JWKS (the host's authentication emulation verifies
caller tokens with it) and counts tokens per audience (``app.state.stats``, read on
the control plane at ``/devstack/stats/identity``), which the benchmarks use to prove
token caching.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections import Counter, deque
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.tokens import (
    APP_IDENTITY_CLIENT_ID,
    APP_IDENTITY_OBJECT_ID,
    EXCHANGE_AUDIENCES,
    ROTATION_IDENTITY_CLIENT_ID,
    ROTATION_IDENTITY_OBJECT_ID,
    TokenIssuer,
)

API_VERSION = "2019-08-01"
TOKEN_PATH = "/msi/token"  # noqa: S105 - a URL path, not a password
JWKS_PATH = "/.well-known/jwks.json"
ASSERTIONS_PATH = "/devstack/issued-assertions"

logger = logging.getLogger("devstack.identity")


#: Exchange assertions remembered for the leak canary (they are credentials for their lifetime).
MAX_REMEMBERED_ASSERTIONS = 1000


class TokenStats:
    """Thread-safe count of tokens issued per audience, and the exchange assertions issued."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_audience: Counter[str] = Counter()
        self._by_client: Counter[str] = Counter()
        self._assertions: deque[str] = deque(maxlen=MAX_REMEMBERED_ASSERTIONS)

    def remember_assertion(self, token: str) -> None:
        with self._lock:
            self._assertions.append(token)

    def assertions(self) -> list[str]:
        with self._lock:
            return list(self._assertions)

    def record(self, audience: str, client_id: str = APP_IDENTITY_CLIENT_ID) -> None:
        with self._lock:
            self._by_audience[audience] += 1
            self._by_client[client_id] += 1

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "tokens_issued": dict(self._by_audience),
                "by_client_id": dict(self._by_client),
                "total": sum(self._by_audience.values()),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._by_audience.clear()
            self._by_client.clear()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"statusCode": status, "message": message}, status_code=status)


#: client id -> object id of the identities the endpoint serves; the first is the default.
IDENTITIES: Mapping[str, str] = {
    APP_IDENTITY_CLIENT_ID: APP_IDENTITY_OBJECT_ID,
    ROTATION_IDENTITY_CLIENT_ID: ROTATION_IDENTITY_OBJECT_ID,
}


def create_identity_app(
    *,
    issuer: TokenIssuer,
    identity_header: str,
    client_id: str = APP_IDENTITY_CLIENT_ID,
    identities: Mapping[str, str] = IDENTITIES,
) -> Starlette:
    """Build the endpoint; ``identity_header`` is the per-start ``IDENTITY_HEADER`` value.

    ``client_id`` is the identity given when a request names none; ``identities`` maps
    every client id served to its object id.
    """
    stats = TokenStats()
    served = {client_id: identities.get(client_id, APP_IDENTITY_OBJECT_ID), **identities}

    async def token(request: Request) -> Response:
        presented = request.headers.get("x-identity-header", "")
        if not hmac.compare_digest(presented.encode(), identity_header.encode()):
            return _error(401, "X-IDENTITY-HEADER missing or wrong")
        params = request.query_params
        if params.get("api-version") != API_VERSION:
            return _error(400, f"api-version must be {API_VERSION}")
        resource = params.get("resource", "").strip()
        if not resource:
            return _error(400, "resource is required")
        chosen = params.get("client_id") or client_id
        if chosen not in served:
            return _error(400, "No managed identity with that client_id is assigned")
        if params.get("mi_res_id") or params.get("object_id"):
            return _error(400, "Select the identity by client_id on the devstack")
        audience = resource.removesuffix("/.default")
        if audience in EXCHANGE_AUDIENCES:  # an assertion for a federated credential
            minted = issuer.mint_exchange_assertion(
                audience, client_id=chosen, object_id=served[chosen]
            )
            stats.remember_assertion(minted.token)
        else:
            minted = issuer.mint_for_app_identity(
                resource, client_id=chosen, object_id=served[chosen]
            )
        stats.record(audience, chosen)
        logger.info("token issued for audience %s", audience)
        return JSONResponse(
            {
                "access_token": minted.token,
                "expires_on": str(minted.expires_on),
                "resource": audience,
                "token_type": "Bearer",
                "client_id": chosen,
            }
        )

    async def jwks(_: Request) -> Response:
        return JSONResponse(issuer.jwks())

    async def assertions(_: Request) -> Response:
        return JSONResponse({"assertions": stats.assertions()})

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route(TOKEN_PATH, token, methods=["GET"]),
            Route(JWKS_PATH, jwks, methods=["GET"]),
            Route("/devstack/health", health, methods=["GET"]),
            Route(ASSERTIONS_PATH, assertions, methods=["GET"]),
        ]
    )
    app.state.stats = stats
    return app
