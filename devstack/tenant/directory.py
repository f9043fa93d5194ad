"""The local tenant's directory, changed by hand: what tests and rehearsals break and mend.

Devstack routes on the tenant's own port (loopback, no token), as the partner stub's
``/devstack/issued-keys`` are:

``GET    /devstack/directory``  the app registration, its federated credentials, whether the
         partner consented, the partner's API (ids and names only)
``PUT    /devstack/directory/apps/<client id>/federated-credentials/<name>``  add or replace a
         federated credential (``{"issuer", "subject", "audiences"}``, Graph's fields), e.g.
         one trusting another identity, to see the exchange refused
``DELETE /devstack/directory/apps/<client id>/federated-credentials/<name>``  remove one
``DELETE /devstack/directory/apps/<client id>/consent``  the partner's admin removes the app
``POST   /devstack/directory/reset``  back to what the stack started with
``GET    /devstack/issued-tokens``  every token issued since start-up, for the leak canary
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from devstack.tenant.store import Directory, FederatedCredential

__all__ = ["directory_routes"]

PREFIX = "/devstack/directory"
_MAX_FIELD = 600  # Graph's limit on issuer, subject and each audience


def _problem(detail: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "invalid_request", "detail": detail}, status_code=status)


def _credential(name: str, body: Any) -> FederatedCredential | str:
    """The federated credential in ``body``, or what is wrong with it."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    issuer, subject, audiences = body.get("issuer"), body.get("subject"), body.get("audiences")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not issuer or not subject:
        return "issuer and subject must be non-empty strings"
    if not isinstance(audiences, list) or len(audiences) != 1 or not isinstance(audiences[0], str):
        return "audiences must be a list of one string (Graph accepts a single value)"
    if max(len(issuer), len(subject), len(audiences[0])) > _MAX_FIELD:
        return f"issuer, subject and audience are at most {_MAX_FIELD} characters"
    return FederatedCredential(name, issuer, subject, (audiences[0],))


def directory_routes(directory: Directory) -> list[BaseRoute]:
    def app_of(request: Request) -> str | None:
        client_id = str(request.path_params["client_id"])
        return client_id if directory.registration(client_id) is not None else None

    async def show(_: Request) -> Response:
        return JSONResponse(directory.public())

    async def federated(request: Request) -> Response:
        client_id = app_of(request)
        if client_id is None:
            return _problem("no such app registration", 404)
        name = str(request.path_params["name"])
        if request.method == "DELETE":
            found = directory.remove_federated(client_id, name)
            return Response(status_code=204 if found else 404)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _problem("the body is not JSON")
        credential = _credential(name, body)
        if isinstance(credential, str):
            return _problem(credential)
        directory.set_federated(client_id, credential)
        return JSONResponse(credential.public())

    async def consent(request: Request) -> Response:
        client_id = app_of(request)
        if client_id is None:
            return _problem("no such app registration", 404)
        return Response(status_code=204 if directory.revoke_consent(client_id) else 404)

    async def reset(_: Request) -> Response:
        directory.reset()
        return JSONResponse(directory.public())

    async def issued(_: Request) -> Response:
        return JSONResponse({"tokens": directory.issued_tokens()})

    return [
        Route(PREFIX, show, methods=["GET"]),
        Route(
            f"{PREFIX}/apps/{{client_id}}/federated-credentials/{{name}}",
            federated,
            methods=["PUT", "DELETE"],
        ),
        Route(f"{PREFIX}/apps/{{client_id}}/consent", consent, methods=["DELETE"]),
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
        Route("/devstack/issued-tokens", issued, methods=["GET"]),
    ]
