"""Where the partner key may travel: in its one header, over TLS, and nowhere else.

The outbound client asks this module before every call: the header must be a valid name
that proxies, servers and log pipelines do not read, rewrite or forward; the base URL
must be https (plain http only to loopback) without credentials; the key itself must be
long enough and visible ASCII; and the prepared request must hold the key in that header
only, not in its URL (raw or decoded), another header or the body.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import unquote, unquote_plus, urlsplit

import requests

from shared.outbound.errors import KeyPlacementError, PartnerKeyError
from shared.redaction import Secret

_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 header field name
_VALUE_RE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")  # visible ASCII, trimmed
# Headers that proxies, servers and log pipelines read, rewrite, record or forward: the
# key must not travel in one of them. Authorization stays allowed: it is the one header
# every tool already treats as a credential.
_RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Host", "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer", "Transfer-Encoding",
        "Expect", "User-Agent", "Referer", "Origin", "Cookie", "Set-Cookie", "Location", "Via",
        "Forwarded", "Date", "Cache-Control", "Pragma", "Range", "Max-Forwards", "From",
        "Idempotency-Key", "traceparent", "tracestate", "Request-Id", "X-Request-Id",
        "X-Correlation-Id", "X-Real-IP",
    )
)  # fmt: skip
_RESERVED_PREFIXES = ("content-", "accept", "if-", "proxy-", "x-forwarded-", "sec-", "x-ms-")


def check_key_header(header_name: str) -> None:
    """Refuse a header name that is invalid, or one that gets logged or forwarded."""
    lowered = header_name.lower()
    if not _TOKEN_RE.fullmatch(header_name):
        raise KeyPlacementError("header_name is not a valid HTTP header name")
    if lowered in _RESERVED_HEADERS or lowered.startswith(_RESERVED_PREFIXES):
        raise KeyPlacementError(f"the key must not travel in the {header_name} header")


def is_header_value(value: str) -> bool:
    """Visible ASCII without leading or trailing blanks: what requests sends unchanged."""
    return _VALUE_RE.fullmatch(value) is not None


def key_problem(key: str, *, min_length: int) -> str | None:
    """What makes ``key`` unusable, in words that never quote it; None when it is usable.

    A key is at least ``min_length`` visible ASCII characters: shorter values cannot be
    scrubbed from text without mangling it (:data:`shared.redaction.MIN_SECRET_LENGTH`), and a
    line break, a space or a control character is a pasting mistake that would either be
    refused by requests (quoting the value) or sent and refused by the partner.
    """
    if len(key) < min_length:
        return f"is shorter than {min_length} characters"
    if any(char in "\r\n" for char in key):
        return "holds a line break"
    if any(char.isspace() for char in key):
        return "holds a space or another blank"
    if not key.isascii() or not key.isprintable():
        return "holds a character that is not visible ASCII"
    return None


def usable_key(secret: Secret, *, min_length: int, on_invalid: Callable[[], None] | None) -> str:
    """The key's value, if it can be used; never sent otherwise.

    An unusable key is a configuration error, not the partner's refusal: requests would
    refuse it with a message quoting the value, or the partner would refuse it and the
    caller be told "partner refused". ``on_invalid`` is called first (to forget it).

    :raises PartnerKeyError: naming the secret and the problem, never the value.
    """
    key = secret.reveal()
    problem = key_problem(key, min_length=min_length)
    if problem is None:
        return key
    if on_invalid is not None:
        on_invalid()
    raise PartnerKeyError(
        f"the key {secret.name!r} {problem}: store a key of at least {min_length}"
        " visible ASCII characters (no spaces) in the vault"
    )


def checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("base_url must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise KeyPlacementError("base_url must not carry credentials")
    if parts.query or parts.fragment:
        raise ValueError("base_url must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError("base_url: plain http only to a loopback host (the key would be readable)")
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_misplaced(key: str, prepared: requests.PreparedRequest, header_name: str) -> None:
    """The key may be in ``header_name`` only: not in the URL (raw or encoded), nor in
    another header, nor in the body."""
    url = prepared.url or ""
    if any(key in form for form in (url, unquote(url), unquote_plus(url))):
        raise KeyPlacementError("the key must not appear in the URL, its path or its query")
    for name, value in prepared.headers.items():
        if name.lower() != header_name.lower() and key in value:
            raise KeyPlacementError("the key must not appear in any other header")
    body = prepared.body
    raw = body.encode() if isinstance(body, str) else body
    if isinstance(raw, bytes) and key.encode() in raw:
        raise KeyPlacementError("the key must not appear in the request body")
