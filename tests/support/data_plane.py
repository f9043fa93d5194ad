"""Local stand-ins for the data planes a deployed app's posture run reads: Storage, Key Vault,
and the app's own front door.

The runtime and vault rules reach Storage and Key Vault through the real SDK clients and
the app through ``requests``; pointed at these servers (one per service, over TLS, as the
services have one host each) they run their whole pipeline. Each answers in the service's
documented shape, and only to a bearer token:

* Blob (REST API "List Containers", "List Blobs", "Get Blob"): ``EnumerationResults`` XML;
  a blob that is not there is 404 ``BlobNotFound``;
* Queue ("Peek Messages", "List Queues"): ``QueueMessagesList`` / ``EnumerationResults`` XML;
* Table ("Query Tables"): ``{"value": []}`` JSON;
* Key Vault ("Get Secrets", 7.x): the bearer challenge first (``WWW-Authenticate: Bearer
  authorization=..., resource=...``, the resource being the host's parent domain so the
  SDK's challenge check accepts it, as :mod:`devstack.vault.challenge` explains), then the
  secret properties, never a value;
* the app (App Service Authentication in front of it): an anonymous request is refused
  with 401 and a bearer challenge when the derived auth settings require authentication,
  answered 200 otherwise.

Resources are addressed path-style (``https://127.0.0.1:<port>/<account or vault>/...``), as
Azurite does; :func:`posture.sources.connections.resource_name` reads the name from there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.vault.challenge import challenge_resource
from tests.support.servers import serve

SERVICES = ("blob", "queue", "table", "vault", "app")
_XML = "application/xml"
_HEAD = '<?xml version="1.0" encoding="utf-8"?>'


@dataclass
class DataPlane:
    """What the services hold: containers and queues per account, secrets per vault, and
    which apps the platform guards."""

    containers: dict[str, list[str]] = field(default_factory=dict)
    queues: dict[str, list[str]] = field(default_factory=dict)
    secrets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    guarded: dict[str, bool] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)


def _bearer(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token)


def _refused() -> Response:
    return Response(status_code=401, headers={"x-ms-error-code": "NoAuthenticationInformation"})


def _storage(plane: DataPlane, service: str) -> Starlette:
    async def answer(request: Request) -> Response:
        account = request.path_params["account"]
        rest = request.path_params.get("rest", "").strip("/")
        plane.requests.append((service, account, rest))
        if not _bearer(request):
            return _refused()
        params = request.query_params
        if service == "table":
            return JSONResponse({"value": []})
        if not rest and params.get("comp") == "list":
            kind = "Container" if service == "blob" else "Queue"
            names = (plane.containers if service == "blob" else plane.queues).get(account, [])
            props = (
                "<Properties><Last-Modified>Mon, 12 Jan 2026 09:30:11 GMT</Last-Modified>"
                '<Etag>"0x8DE31A2B3C4D5E6"</Etag></Properties>'
                if service == "blob"
                else ""
            )
            items = "".join(f"<{kind}><Name>{n}</Name>{props}</{kind}>" for n in names[:1])
            listing = f"<{kind}s>{items}</{kind}s><NextMarker/>"
            body = f"{_HEAD}<EnumerationResults>{listing}</EnumerationResults>"
            return Response(body, media_type=_XML)
        if service == "queue" and rest.endswith("/messages"):
            return Response(f"{_HEAD}<QueueMessagesList />", media_type=_XML)
        if service == "blob" and params.get("comp") == "list":
            listing = f'<EnumerationResults ContainerName="{rest}"><Blobs /><NextMarker/>'
            body = f"{_HEAD}{listing}</EnumerationResults>"
            return Response(body, media_type=_XML)
        return Response(
            f"{_HEAD}<Error><Code>BlobNotFound</Code><Message>The specified blob does not exist."
            "</Message></Error>",
            status_code=404,
            media_type=_XML,
            headers={"x-ms-error-code": "BlobNotFound"},
        )

    return Starlette(
        routes=[
            Route("/{account}", answer, methods=["GET", "HEAD"]),
            Route("/{account}/{rest:path}", answer, methods=["GET", "HEAD"]),
        ]
    )


def _vault(plane: DataPlane, origin: str) -> Starlette:
    async def answer(request: Request) -> Response:
        vault = request.path_params["vault"]
        plane.requests.append(("vault", vault, "secrets"))
        if not _bearer(request):
            resource = challenge_resource(origin)
            challenge = (
                'Bearer authorization="https://login.microsoftonline.com/tenant", '
                f'resource="{resource}"'
            )
            return JSONResponse(
                {"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a "
                           "Bearer or PoP token."}},
                status_code=401,
                headers={"WWW-Authenticate": challenge},
            )  # fmt: skip
        # Ids as Key Vault spells them, the vault at the host's root: the SDK reads a secret's
        # name from the id's path (/secrets/<name>/<version>).
        items = [{**s, "id": f"{origin}/secrets/{s['name']}"} for s in plane.secrets.get(vault, [])]
        return JSONResponse({"value": [{k: v for k, v in i.items() if k != "name"} for i in items],
                             "nextLink": None})  # fmt: skip

    return Starlette(routes=[Route("/{vault}/secrets", answer, methods=["GET"])])


def _app(plane: DataPlane) -> Starlette:
    async def answer(request: Request) -> Response:
        site = request.path_params["site"]
        plane.requests.append(("app", site, request.url.path))
        if plane.guarded.get(site, False) and not _bearer(request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="app"'})
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/{site}/{rest:path}", answer, methods=["GET"])])


@contextlib.contextmanager
def serve_data_plane(plane: DataPlane, certfile: Path) -> Iterator[dict[str, str]]:
    """One TLS server per service; yields service -> origin."""
    with contextlib.ExitStack() as stack:
        origins: dict[str, str] = {}
        for service in ("blob", "queue", "table"):
            origin, _ = stack.enter_context(serve(_storage(plane, service), certfile=certfile))
            origins[service] = origin
        holder: dict[str, Starlette] = {}

        async def vault_app(scope: Any, receive: Any, send: Any) -> Any:
            return await holder["app"](scope, receive, send)

        origins["vault"], _ = stack.enter_context(serve(vault_app, certfile=certfile))
        holder["app"] = _vault(plane, origins["vault"])
        origins["app"], _ = stack.enter_context(serve(_app(plane), certfile=certfile))
        yield origins
