"""What went wrong in a TLS handshake, said in a few safe words.

requests, urllib3 and azure-core each wrap the ``ssl`` module's exception in their own
(``requests.exceptions.SSLError`` around ``urllib3.exceptions.MaxRetryError`` around
``urllib3.exceptions.SSLError`` around ``ssl.SSLCertVerificationError``; azure-core's
``ServiceRequestError`` holds the requests exception as ``inner_exception``). The vault
and the outbound client both want to know whether one of those failures is a TLS one and
why, without copying any wrapper's text (it may quote a URL with its query).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

_MAX_DEPTH = 12


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
