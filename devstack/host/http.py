"""HTTP triggers served through a real ASGI server, with the host's routing rules.

Order of a request, as in Azure: App Service Authentication first (401 before
anything else, unless the path is excluded), then routing under
``routePrefix`` (404 unknown route, 405 method not listed), then the
function. An unhandled exception becomes a bare 500: its text stays in the
log, never in the response.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import azure.functions as func
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from devstack.host.auth import AuthenticationError, EasyAuth, strip_principal_headers
from devstack.host.functions import HTTP_TRIGGER, IndexedFunction, Invoker
from devstack.host.routing import RouteTemplate

logger = logging.getLogger("devstack.host")

HTTP_REASON = "This function was programmatically called via the host APIs."


@dataclass(frozen=True, slots=True)
class HttpRoute:
    function: IndexedFunction
    template: RouteTemplate
    methods: frozenset[str] | None


def build_routes(functions: list[IndexedFunction]) -> list[HttpRoute]:
    routes: list[HttpRoute] = []
    for function in functions:
        if function.trigger_type != HTTP_TRIGGER:
            continue
        trigger = function.trigger
        template = RouteTemplate.parse(trigger.route or function.name)
        methods = (
            frozenset(str(getattr(m, "value", m)).upper() for m in trigger.methods)
            if trigger.methods
            else None
        )
        routes.append(HttpRoute(function=function, template=template, methods=methods))
    routes.sort(key=lambda route: route.template.precedence)
    return routes


def _to_response(result: object) -> Response:
    if isinstance(result, func.HttpResponse):
        headers = {k: v for k, v in result.headers.items() if k.lower() != "content-type"}
        media_type = result.mimetype or "text/plain"
        if result.charset and media_type.startswith(("text/", "application/json")):
            media_type = f"{media_type}; charset={result.charset}"
        return Response(
            content=result.get_body(),
            status_code=result.status_code,
            headers=headers,
            media_type=media_type,
        )
    if isinstance(result, str):
        return Response(result, media_type="text/plain; charset=utf-8")
    if isinstance(result, bytes):
        return Response(result, media_type="application/octet-stream")
    if result is None:
        return Response(status_code=204)
    raise TypeError(f"unsupported HTTP function return type {type(result).__name__}")


class HttpHost:
    """The ASGI application in front of the app's HTTP functions."""

    def __init__(
        self,
        *,
        functions: list[IndexedFunction],
        invoker: Invoker,
        route_prefix: str,
        auth: EasyAuth | None,
    ) -> None:
        self.routes = build_routes(functions)
        self.invoker = invoker
        self.prefix = f"/{route_prefix}" if route_prefix else ""
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        response = await self._handle(Request(scope, receive))
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        if path == "/admin/host/ping":
            return Response(status_code=200)
        headers = strip_principal_headers(request.headers.items())
        if self.auth is not None and not self.auth.is_excluded(path):
            try:
                headers.extend(self.auth.authenticate(request.headers.get("authorization")).items())
            except AuthenticationError as exc:
                return JSONResponse(
                    {"error": {"code": "unauthenticated", "message": exc.reason}},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
        raw_path = request.scope.get("raw_path") or path.encode()
        matched = self._match(raw_path.decode("latin-1"))
        if matched is None:
            return Response(status_code=404)
        candidates, method = matched, request.method.upper()
        chosen = next(
            (
                (route, params)
                for route, params in candidates
                if route.methods is None or method in route.methods
            ),
            None,
        )
        if chosen is None:
            allowed = sorted({m for route, _ in candidates for m in (route.methods or ())})
            return Response(status_code=405, headers={"Allow": ", ".join(allowed)})
        route, params = chosen
        body = await request.body()
        merged: dict[str, str] = {}
        for name, value in headers:
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        http_request = func.HttpRequest(
            method=method,
            url=str(request.url),
            headers=merged,
            params=dict(request.query_params),
            route_params=params,
            body=body,
        )
        try:
            result = await self.invoker.invoke_async(
                route.function, http_request, reason=HTTP_REASON
            )
            return _to_response(result)
        except Exception:
            return Response(status_code=500)

    def _match(self, path: str) -> list[tuple[HttpRoute, dict[str, str]]] | None:
        if self.prefix:
            if path.lower() != self.prefix.lower() and not path.lower().startswith(
                self.prefix.lower() + "/"
            ):
                return None
            path = path[len(self.prefix) :]
        raw = request_segments(path)
        found = [
            (route, params)
            for route in self.routes
            if (params := route.template.match(raw)) is not None
        ]
        return found or None


def request_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]
