"""What one partner call reports: its span, and its one debug line when it ends.

A client span named ``partner <METHOD>`` with the partner's ``host:port`` and the path (never
a query), opened before the first attempt; ended with the status, the number of requests
the retries made, and the failure's class when there was one, as the call's log line says
them (``GET /v1/jobs -> 200, 2 attempt(s), 41 ms``: the path, never a query).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from shared.tracing import SpanHandle, start

_LOG = logging.getLogger("shared.outbound")  # the package, whose modules are private


def call_span(method: str, url: str, endpoint: str) -> SpanHandle:
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "server.address": endpoint,
        "url.path": urlsplit(url).path,
    }
    return start(f"partner {method}", kind="client", attributes=attributes)


def call_ended(
    traced: SpanHandle, method: str, url: str, *, outcome: str, attempts: int, started: float
) -> None:
    """End the call's span and log its line; ``outcome`` is ``"<status>"``,
    ``"<status>, <Error>"`` or ``"<Error>"`` (nothing was answered), ``started`` the
    ``time.perf_counter()`` of its start."""
    status, _, failure = outcome.partition(", ")
    traced.set("app.partner.attempts", attempts)
    if status.isdigit():
        traced.set("http.response.status_code", int(status))
    else:
        failure = status
    if failure or not status.startswith("2"):
        traced.fail(failure or status)
    traced.end()
    elapsed_ms = (time.perf_counter() - started) * 1000
    path = urlsplit(url).path
    _LOG.debug("%s %s -> %s, %d attempt(s), %.0f ms", method, path, outcome, attempts, elapsed_ms)
