"""What every client of the app reads off the wire when a call fails.

* ``Retry-After``, read once for every caller (the vault's, the partner's, storage's):
  RFC 9110, section 10.2.3, says the value is either a number of seconds
  (``delay-seconds``) or an HTTP date; a date in the past means "now" (0 s), anything else
  is no hint at all (:func:`parse_retry_after`).
* Why a TLS handshake failed, in a few safe words (:func:`tls_failure`). requests, urllib3
  and azure-core each wrap the ``ssl`` module's exception in their own
  (``requests.exceptions.SSLError`` around ``urllib3.exceptions.MaxRetryError`` around
  ``urllib3.exceptions.SSLError`` around ``ssl.SSLCertVerificationError``; azure-core's
  ``ServiceRequestError`` holds the requests exception as ``inner_exception``). The vault
  and the outbound client both want to know whether one of those failures is a TLS one and
  why, without copying any wrapper's text (it may quote a URL with its query).
* The ``host:port`` an error or a log line names, the port spelt out
  (:func:`host_and_port`).

Standard library only: the vault's and the outbound client's exceptions use it.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

__all__ = ["host_and_port", "parse_retry_after", "tls_failure"]

_MAX_DEPTH = 12


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when there is none to read."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return None


def host_and_port(netloc: str, *, default_port: int = 443) -> str:
    """``host:port`` of a URL's network location, the port spelt out even when default."""
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or netloc
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{port or default_port}"


def tls_failure(exc: BaseException) -> str | None:
    """Why TLS failed, if an ``ssl`` error is somewhere in ``exc``'s chain; else None.

    ``certificate verify failed: <OpenSSL's verify message>`` for a certificate that is
    not trusted (unknown CA, expired, wrong name), ``TLS handshake failed: <reason>``
    for any other ``ssl.SSLError`` (a protocol mismatch, an alert from the peer).
    """
    for found in _chain(exc):
        # reason and verify_message are set by the ssl module, not by every constructor.
        reason = getattr(found, "reason", None)
        if isinstance(found, ssl.SSLCertVerificationError):
            detail = getattr(found, "verify_message", None) or reason or "unknown reason"
            return f"certificate verify failed: {detail}"
        if isinstance(found, ssl.SSLError):
            return f"TLS handshake failed: {reason or type(found).__name__}"
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps: causes, contexts, ``args``, ``reason``,
    ``inner_exception``; breadth first, each once."""
    queue: list[tuple[BaseException, int]] = [(exc, 0)]
    seen: set[int] = set()
    while queue:
        current, depth = queue.pop(0)
        if id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        yield current
        linked = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            getattr(current, "inner_exception", None),
            *current.args,
        ]
        queue += [(item, depth + 1) for item in linked if isinstance(item, BaseException)]
