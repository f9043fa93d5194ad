"""HTTP triggers served through a real ASGI server, with the host's routing rules.

Order of a request, as in Azure: the web server's limits on the request head first (414,
431: :mod:`devstack.host.limits`), then App Service Authentication (401 before
anything else, unless the path is excluded), then routing under ``routePrefix``. A
route whose methods do not include the request's does not match, so an unknown route
and a wrong method are both 404 (the host's routes carry an HTTP-method constraint).
Then the function, through the worker's conversions (see :mod:`devstack.host.httpconv`).
An unhandled exception, a failed binding or a timeout is a bare 500: the text stays in
the log, never in the response.

``/admin/host/ping`` needs no token (health probes); the other admin routes
(:mod:`devstack.host.admin`) and the host's landing page at ``/`` sit behind
authentication like the functions. Routes, methods and the rest come from the trigger's
binding JSON, what the worker sends the host, so ``generic_trigger(type="httpTrigger")``
works like ``route``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from devstack.host import httpconv
from devstack.host.admin import AdminApi
from devstack.host.auth import AuthenticationError, EasyAuth, strip_principal_headers
from devstack.host.bindings.expressions import BindingData
from devstack.host.context import Trace, child_traceparent
from devstack.host.functions import HTTP_TRIGGER, IndexedFunction
from devstack.host.invocation import Invoker, TriggerValue
from devstack.host.limits import head_refusal
from devstack.host.routing import RouteTemplate

logger = logging.getLogger("devstack.host")

HTTP_REASON = "This function was programmatically called via the host APIs."
#: The host answers its root with a page saying the app is up (its home controller).
LANDING_PAGE = "<html><body><h1>Your Functions app is up and running</h1></body></html>"


@dataclass(frozen=True, slots=True)
class HttpRoute:
    function: IndexedFunction
    template: RouteTemplate
    methods: frozenset[str] | None

    @property
    def uses_binding_data(self) -> bool:
        """Whether another binding may resolve ``{...}`` from the request (not just HTTP)."""
        return any(b.type != "http" for b in self.function.io_bindings)


def build_routes(functions: list[IndexedFunction]) -> list[HttpRoute]:
    routes: list[HttpRoute] = []
    for function in functions:
        if function.trigger_type != HTTP_TRIGGER:
            continue
        binding = function.trigger_binding  # what the worker sends the host
        template = RouteTemplate.parse(str(binding.setting("route") or function.name))
        listed = binding.setting("methods")
        methods = frozenset(str(m).upper() for m in listed) if listed else None
        routes.append(HttpRoute(function=function, template=template, methods=methods))
    routes.sort(key=lambda route: route.template.precedence)
    return routes


class HttpHost:
    """The ASGI application in front of the app's HTTP functions."""

    def __init__(
        self,
        *,
        functions: list[IndexedFunction],
        invoker: Invoker,
        route_prefix: str,
        auth: EasyAuth | None,
        admin: AdminApi | None = None,
    ) -> None:
        self.routes = build_routes(functions)
        self.invoker = invoker
        self.prefix = f"/{route_prefix}" if route_prefix else ""
        self.auth = auth
        self.admin = admin

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
        refused = head_refusal(
            method=scope["method"],
            raw_path=scope.get("raw_path") or scope["path"].encode(),
            query_string=scope.get("query_string", b""),
            http_version=scope.get("http_version", "1.1"),
            headers=scope["headers"],
        )
        if refused is not None:  # Kestrel's limits, before anything else (devstack.host.limits)
            await Response(status_code=refused, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        response = await self._handle(Request(scope, receive))
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        if path == "/admin/host/ping":
            return Response(status_code=200)
        # With authentication on, only the platform sets X-MS-CLIENT-PRINCIPAL*: a caller's own
        # are dropped. Off, nothing is in front of the app: headers reach it as they came.
        headers = (
            strip_principal_headers(request.headers.items())
            if self.auth is not None
            else list(request.headers.items())
        )
        if self.auth is not None and not self.auth.is_excluded(path):
            try:
                headers.extend(self.auth.authenticate(request.headers.get("authorization")).items())
            except AuthenticationError as exc:
                return JSONResponse(
                    {"error": {"code": "unauthenticated", "message": exc.reason}},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
        if path.startswith("/admin/") and self.admin is not None:
            return await self.admin.handle(request)
        if path == "/" and request.method in ("GET", "HEAD"):
            return HTMLResponse(LANDING_PAGE)
        raw_path = request.scope.get("raw_path") or path.encode()
        method = request.method.upper()
        chosen = self._match(raw_path.decode("latin-1"), method)
        if chosen is None:
            return Response(status_code=404)
        route, params = chosen
        body = await request.body()
        query_string = request.url.query
        trigger = TriggerValue(
            datum=httpconv.request_datum(
                method=method,
                url=str(request.url),
                headers=headers,
                query_string=query_string,
                route_params=params,
                body=body,
            ),
            binding_data=(
                httpconv.binding_data(
                    function_name=route.function.name,
                    headers=headers,
                    query_string=query_string,
                    route_params=params,
                    body=body,
                )
                if route.uses_binding_data
                else BindingData(method_name=route.function.name)
            ),
            trace=Trace(
                parent=child_traceparent(request.headers.get("traceparent")),
                state=request.headers.get("tracestate", ""),
            ),
        )
        try:
            outcome = await self.invoker.run_async(route.function, trigger, reason=HTTP_REASON)
            return httpconv.to_response(outcome.http)
        except Exception:
            return Response(status_code=500)

    def _match(self, path: str, method: str) -> tuple[HttpRoute, dict[str, str]] | None:
        if self.prefix:
            if path.lower() != self.prefix.lower() and not path.lower().startswith(
                self.prefix.lower() + "/"
            ):
                return None
            path = path[len(self.prefix) :]
        raw = request_segments(path)
        for route in self.routes:
            if route.methods is not None and method not in route.methods:
                continue
            params = route.template.match(raw)
            if params is not None:
                return route, params
        return None


def request_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]
