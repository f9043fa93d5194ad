"""What a failed partner call is called: one of :mod:`shared.outbound.errors`.

The outbound client sends; this module names what went wrong, from requests' exception or
the partner's non-2xx status, in a message that holds safe identifiers only (the partner's
host, the method and path without query, an HTTP status, a TLS reason) and never a body.
"""

from __future__ import annotations

import http
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

from shared.net import parse_retry_after, tls_failure
from shared.outbound._deadline import current_deadline
from shared.outbound.errors import (
    OutboundError,
    OutboundTlsError,
    PartnerAuthError,
    PartnerRejectedError,
    PartnerTokenRejectedError,
    PartnerUnavailableError,
)
from shared.redaction import scrub

__all__ = ["failure_of", "past_deadline", "refusal_of"]


def past_deadline(host: str, method: str, url: str, seconds: float) -> str:
    """The message of a call cut off at its deadline."""
    return f"partner {host} unavailable: {method} {urlsplit(url).path} took over {seconds:g} s"


def failure_of(
    exc: requests.RequestException, host: str, method: str, url: str, deadline_seconds: float
) -> tuple[OutboundError, Exception]:
    """Our exception for requests' ``exc``, and a scrubbed copy of ``exc`` to chain to it."""
    path = urlsplit(url).path
    cause = _scrubbed_copy(exc)
    deadline = current_deadline.get()
    if deadline is not None and deadline.expired:
        return PartnerUnavailableError(past_deadline(host, method, url, deadline_seconds)), cause
    tls = tls_failure(exc)
    if tls is not None or isinstance(exc, requests.exceptions.SSLError):
        message = f"no trusted TLS connection to {host} ({method} {path}): {tls or 'TLS failure'}"
        return OutboundTlsError(message), cause
    if _timed_out(exc):
        reason = "timed out"
    elif isinstance(exc, requests.ConnectionError | requests.exceptions.RetryError):
        reason = "connection failed"
    else:
        return OutboundError(f"{method} {path} to {host} failed"), cause
    return PartnerUnavailableError(f"partner {host} unavailable: {method} {path} {reason}"), cause


def refusal_of(
    response: requests.Response, host: str, method: str, path: str, *, bearer: bool = False
) -> OutboundError | None:
    """None for a 2xx answer; else the exception naming the refusal (the response is closed,
    its body never read, logged or quoted). ``bearer``: the credential was an Entra token,
    so a 401/403 is :class:`PartnerTokenRejectedError`."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    response.close()
    where = f"{method} {urlsplit(path).path} to {host}"
    answered = f"HTTP {status} {_phrase(status)}"
    if status in (401, 403) and bearer:
        message = f"{where}: {answered} with a freshly obtained token"
        return PartnerTokenRejectedError(message, status=status)
    if status in (401, 403):
        return PartnerAuthError(f"{where}: {answered} with a freshly fetched key", status=status)
    if status == 429 or status >= 500:
        return PartnerUnavailableError(
            f"{where}: {answered}", status=status, retry_after=retry_after
        )
    if 300 <= status < 400:
        return PartnerRejectedError(f"{where}: {answered}, redirect not followed", status=status)
    return PartnerRejectedError(f"{where}: {answered}", status=status)


def _timed_out(exc: requests.RequestException) -> bool:
    # Once retries are spent, requests reports a read timeout as a ConnectionError
    # wrapping urllib3's MaxRetryError; the timeout is its reason.
    if isinstance(exc, requests.Timeout):
        return True
    wrapped = exc.args[0] if exc.args else None
    reason = wrapped.reason if isinstance(wrapped, MaxRetryError) else None
    return isinstance(reason, ReadTimeoutError | ConnectTimeoutError) and not isinstance(
        reason, NewConnectionError
    )


def _scrubbed_copy(exc: Exception) -> Exception:
    """Same type, scrubbed text, no request/response attached (those hold the headers)."""
    text = scrub(str(exc))
    try:
        return type(exc)(text)
    except Exception:  # an exception type with an unusual constructor
        return RuntimeError(f"{type(exc).__name__}: {text}")


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"
