"""The partner's tenant over HTTPS: OpenID discovery, its signing keys, its token endpoint.

The routes are Entra's v2.0 endpoints for one tenant, at the paths clients build from an
authority (``https://<host>/<tenant>``):

``GET  /<tenant>/v2.0/.well-known/openid-configuration``  the discovery document: ``issuer``,
      ``authorization_endpoint``, ``token_endpoint`` and ``jwks_uri`` (MSAL requires the first
      two to accept an authority; an API finds the keys through the last)
``GET  /<tenant>/discovery/v2.0/keys``  the tenant's signing keys (JWKS)
``POST /<tenant>/oauth2/v2.0/token``  the client-credentials grant with a client assertion
      (:meth:`devstack.tenant.store.Directory.exchange`), form-encoded as OAuth 2.0 requires

azure-identity's ``ClientAssertionCredential`` posts to the token endpoint directly; MSAL
reads the discovery document first (``instance_discovery=False`` for a host it does not
know). It speaks HTTPS with the devstack's certificate: both refuse a plain-http authority.

Faults (``PUT /devstack/faults/tenant`` on the control plane) strike the token endpoint, as
an Entra outage would. The directory itself, for rehearsals and tests, is under
``/devstack/directory`` (:mod:`devstack.tenant.directory`).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.asgi import EmulatorApp
from devstack.faults import FaultGate
from devstack.tenant.directory import directory_routes
from devstack.tenant.errors import EntraError
from devstack.tenant.store import Directory

__all__ = ["TOKEN_PATH", "create_tenant_app"]

logger = logging.getLogger("devstack.tenant")

TOKEN_PATH = "/oauth2/v2.0/token"  # noqa: S105 - a URL path, not a password
_FORM = "application/x-www-form-urlencoded"


def create_tenant_app(directory: Directory, *, origin: str) -> EmulatorApp:
    """The tenant's endpoints at ``origin`` (``https://127.0.0.1:<port>``)."""

    def known(request: Request) -> str | None:
        tenant = str(request.path_params["tenant"])
        return tenant if tenant.lower() == directory.tenant_id.lower() else None

    async def discovery(request: Request) -> Response:
        tenant = known(request)
        if tenant is None:
            return EntraError.tenant_not_found(str(request.path_params["tenant"])).response()
        base = f"{origin}/{tenant}"
        return JSONResponse(
            {
                "issuer": directory.issuer.issuer,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}{TOKEN_PATH}",
                "jwks_uri": f"{origin}/{tenant}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": None,
                "request_uri_parameter_supported": False,
            }
        )

    async def keys(request: Request) -> Response:
        if known(request) is None:
            return EntraError.tenant_not_found(str(request.path_params["tenant"])).response()
        return JSONResponse(directory.issuer.jwks())

    async def token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != _FORM:
            return EntraError.missing_parameter("grant_type").response()
        try:  # parsed here: Starlette's form parser needs python-multipart, not needed else
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            return EntraError.missing_parameter("grant_type").response()
        fields = dict(parse_qsl(text, keep_blank_values=True))
        try:
            answer = directory.exchange(str(request.path_params["tenant"]), fields)
        except EntraError as refusal:
            logger.info("token request refused: %s", refusal.aadsts)
            return refusal.response()
        logger.info("token issued to %s", fields.get("client_id"))
        # RFC 6749 section 5.1: a token answer is never cached.
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = EmulatorApp(
        routes=[
            Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
            Route(f"/{{tenant}}{TOKEN_PATH}", token, methods=["POST"]),
            Route("/devstack/health", health, methods=["GET"]),
            *directory_routes(directory),
        ],
        faults=FaultGate(),
        counters=directory,
        logger=logger,
        gated=lambda scope: scope["method"] == "POST" and scope["path"].endswith(TOKEN_PATH),
    )
    app.state.directory = directory
    return app
