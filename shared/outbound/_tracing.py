"""The span of one partner call: opened before the first attempt, ended with its outcome.

A client span named ``partner <METHOD>`` with the partner's ``host:port`` and the path (never
a query); ended with the status, the number of requests the retries made, and the failure's
class when there was one, as the call's log line says them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.tracing import SpanHandle, start


def call_span(method: str, url: str, endpoint: str) -> SpanHandle:
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "server.address": endpoint,
        "url.path": urlsplit(url).path,
    }
    return start(f"partner {method}", kind="client", attributes=attributes)


def end_call_span(traced: SpanHandle, outcome: str, attempts: int) -> None:
    """End the call's span with ``outcome``: ``"<status>"``, ``"<status>, <Error>"`` or
    ``"<Error>"`` (nothing was answered)."""
    status, _, failure = outcome.partition(", ")
    traced.set("app.partner.attempts", attempts)
    if status.isdigit():
        traced.set("http.response.status_code", int(status))
    else:
        failure = status
    if failure or not status.startswith("2"):
        traced.fail(failure or status)
    traced.end()
