"""A server span around an HTTP function: the first span of a job's trace.

Placed under ``@bp.route`` and over ``@api_errors()``, so it sees the response the caller
gets, error answers included: an HTTP server span is failed for a 5xx only (a 4xx is the
caller's, as OpenTelemetry's HTTP conventions say). Its parent is the invocation's trace
context, which the Python worker makes current (``PYTHON_ENABLE_OPENTELEMETRY``); the span
names the route template, never the URL, whose query is the caller's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import azure.functions as func

from shared.tracing import span

Handler = Callable[[func.HttpRequest], func.HttpResponse]


def server_span(method: str, route: str) -> Callable[[Handler], Handler]:
    """Trace every call of the handler as ``<method> /api/<route>``."""
    name = f"{method} /api/{route}"
    attributes = {"http.request.method": method, "http.route": f"/api/{route}"}

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def traced_handler(req: func.HttpRequest) -> func.HttpResponse:
            with span(name, kind="server", attributes=attributes) as serving:
                response = handler(req)
                serving.set("http.response.status_code", response.status_code)
                if response.status_code >= 500:
                    serving.fail(str(response.status_code))
                return response

        return traced_handler

    return decorate
