"""Secret-pattern detection: the one place the app knows what a secret looks like.

Settings validation, log redaction and the posture checker all ask this module, so a
shape added here protects every output at once.

Design choices, and why:

* A finding's span covers the secret *value* only (``AccountKey=`` itself stays
  outside), so redacted text still tells a reader what was there.
* Evidence is a :class:`Finding`: kind, span and a short fingerprint. It never holds
  the value, so findings can be logged, stored in a posture report or raised in an
  error message without becoming a leak themselves.
* Every pattern runs in linear time on hostile input, and is compiled the first time a
  text holds its hint (:mod:`shared.redaction._lazyregex`), not at import: bare-key
  patterns may only start where a run of key characters starts (a look-behind), so
  a long run is tried once, not at every offset; open quantifiers are possessive;
  the two shapes that need context (SAS signatures, PEM blocks) are resolved with
  single passes and binary search instead of open-ended regex search.
* Shapes follow the documented formats, including the fixed-position markers of
  Azure's identifiable keys and the prefixes of GitHub, Stripe, Slack, SendGrid, AWS and
  Google keys (``_vendorshapes``, each with its format's page); checksums are
  not verified, so a look-alike is reported too, which is the safe side for redaction and
  settings validation.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Final, NamedTuple
from urllib.parse import unquote

from shared.redaction._lazyregex import LazyPattern
from shared.redaction._vendorshapes import KIND_AWS_ACCESS_KEY as KIND_AWS_ACCESS_KEY
from shared.redaction._vendorshapes import KIND_GITHUB_TOKEN as KIND_GITHUB_TOKEN
from shared.redaction._vendorshapes import KIND_GOOGLE_API_KEY as KIND_GOOGLE_API_KEY
from shared.redaction._vendorshapes import KIND_SENDGRID_KEY as KIND_SENDGRID_KEY
from shared.redaction._vendorshapes import KIND_SLACK_TOKEN as KIND_SLACK_TOKEN
from shared.redaction._vendorshapes import KIND_STRIPE_KEY as KIND_STRIPE_KEY
from shared.redaction._vendorshapes import VENDOR_KINDS, VENDOR_RULES

KIND_STORAGE_ACCOUNT_KEY: Final = "storage-account-key"
KIND_CONNECTION_STRING_KEY: Final = "connection-string-key"
KIND_SAS_SIGNATURE: Final = "sas-signature"
KIND_ENTRA_CLIENT_SECRET: Final = "entra-client-secret"  # noqa: S105 (a kind name)
KIND_FUNCTIONS_KEY: Final = "functions-key"
KIND_COSMOS_DB_KEY: Final = "cosmos-db-key"
KIND_SERVICE_BUS_KEY: Final = "service-bus-key"
KIND_EVENT_HUBS_KEY: Final = "event-hubs-key"
KIND_REDIS_KEY: Final = "redis-key"
KIND_CONTAINER_REGISTRY_KEY: Final = "container-registry-key"
KIND_JWT: Final = "jwt"
KIND_PRIVATE_KEY: Final = "private-key"
KIND_INSTRUMENTATION_KEY: Final = "instrumentation-key"

SECRET_KINDS: Final = frozenset(
    {
        KIND_STORAGE_ACCOUNT_KEY,
        KIND_CONNECTION_STRING_KEY,
        KIND_SAS_SIGNATURE,
        KIND_ENTRA_CLIENT_SECRET,
        KIND_FUNCTIONS_KEY,
        KIND_COSMOS_DB_KEY,
        KIND_SERVICE_BUS_KEY,
        KIND_EVENT_HUBS_KEY,
        KIND_REDIS_KEY,
        KIND_CONTAINER_REGISTRY_KEY,
        KIND_JWT,
        KIND_PRIVATE_KEY,
        *VENDOR_KINDS,  # GitHub, Stripe, Slack, SendGrid, AWS, Google: _vendorshapes.py
    }
)
# Not secrets, but facts a posture report wants: an instrumentation key means
# Application Insights local (key-based) ingestion is in use.
INFO_KINDS: Final = frozenset({KIND_INSTRUMENTATION_KEY})


class Finding(NamedTuple):
    """Where a secret-shaped value sits in a text; safe to log, store and show."""

    kind: str
    start: int
    end: int
    fingerprint: str

    @property
    def is_secret(self) -> bool:
        return self.kind in SECRET_KINDS


class SasInfo(NamedTuple):
    """One SAS found in a text, parsed for rule RT-SAS-CLASSIFY."""

    finding: Finding
    expiry: datetime | None
    permissions: str | None
    signed_with_account_key: bool
    version: str | None


def fingerprint(value: str) -> str:
    """Short, non-reversible digest: tells two findings apart without holding either."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class _Rule(NamedTuple):
    kind: str
    priority: int  # lower wins when two rules claim the same span
    hint: str  # a literal the text must contain before the regex is worth running
    folded: bool  # hint is searched in the lower-cased text
    regex: LazyPattern


_B64 = "A-Za-z0-9+/"
_RUN_START = r"(?<![A-Za-z0-9+/_-])"  # a bare key starts where a run of key chars starts
_RUN_END = r"(?![A-Za-z0-9+/_=-])"


def _bare_key(body: str) -> LazyPattern:
    return LazyPattern(f"{_RUN_START}({body}){_RUN_END}")


def _keyword_value(keyword: str, value: str) -> LazyPattern:
    return LazyPattern(f"(?i:{keyword})=({value})")


_OPEN_B64_VALUE = f"[{_B64}]{{16,512}}+={{0,2}}(?![{_B64}=])"
_URLSAFE_RUN_START = r"(?<![A-Za-z0-9_-])"

# Identifiable keys (microsoft/security-utilities): a marker at a fixed offset.
# (kind, marker, characters before it, what follows it)
_IDENTIFIABLE: Final = (
    (KIND_COSMOS_DB_KEY, "ACDb", 76, f"[{_B64}]{{5}}[AQgw]=="),  # 64-byte key, 88 chars
    (KIND_STORAGE_ACCOUNT_KEY, "+ASt", 76, f"[{_B64}]{{5}}[AQgw]=="),
    (KIND_SERVICE_BUS_KEY, "+ASb", 33, f"[A-P][{_B64}]{{5}}="),  # 32-byte key, 44 chars
    (KIND_EVENT_HUBS_KEY, "+AEh", 33, f"[A-P][{_B64}]{{5}}="),
    (KIND_REDIS_KEY, "AzCa", 33, f"[A-P][{_B64}]{{5}}="),
    (KIND_CONTAINER_REGISTRY_KEY, "+ACR", 42, f"[A-D][{_B64}]{{5}}"),  # 39-byte key, 52 chars
)

_RULES: Final = (
    _Rule(KIND_JWT, 1, "eyJ", False, LazyPattern(
        _URLSAFE_RUN_START
        + r"(eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{16,}+)"
    )),
    # Functions keys are URL-safe base64 of 40 bytes and often sit in a ?code= query.
    _Rule(KIND_FUNCTIONS_KEY, 2, "AzFu", False, LazyPattern(
        _URLSAFE_RUN_START
        + r"([A-Za-z0-9_-]{44}AzFu[A-Za-z0-9_-]{5}[AQgw](?:==|%3[Dd]%3[Dd]))(?![A-Za-z0-9_=%-])"
    )),
    *(
        _Rule(kind, 2, marker, False, _bare_key(f"[{_B64}]{{{n}}}{re.escape(marker)}{tail}"))
        for kind, marker, n, tail in _IDENTIFIABLE
    ),
    # 64 random bytes in standard base64: 86 characters and "==".
    _Rule(KIND_STORAGE_ACCOUNT_KEY, 3, "accountkey=", True,
          _keyword_value("AccountKey", f"[{_B64}]{{86}}==(?![{_B64}=])")),
    _Rule(KIND_ENTRA_CLIENT_SECRET, 5, "Q~", False, LazyPattern(
        r"(?<![A-Za-z0-9_~.])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}+)"
        r"(?=\.?(?![A-Za-z0-9_~.-]))"  # a full stop may end the sentence, not the secret
    )),
    # Whatever follows a key keyword in a connection string is a key, whatever its length.
    _Rule(KIND_CONNECTION_STRING_KEY, 6, "accountkey=", True,
          _keyword_value("AccountKey", _OPEN_B64_VALUE)),
    _Rule(KIND_CONNECTION_STRING_KEY, 6, "sharedaccesskey=", True,
          _keyword_value("SharedAccessKey", _OPEN_B64_VALUE)),
    _Rule(KIND_CONNECTION_STRING_KEY, 6, "sharedaccesssignature=", True, _keyword_value(
        "SharedAccessSignature", "(?i:SharedAccessSignature )?[^;,\\s\"'<>]{16,4096}+"
    )),
    _Rule(KIND_INSTRUMENTATION_KEY, 9, "instrumentationkey=", True, _keyword_value(
        "InstrumentationKey", "[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    )),
    *(_Rule(*row) for row in VENDOR_RULES),
)  # fmt: skip
_SAS_PRIORITY: Final = 4
_PEM_PRIORITY: Final = 0

# A SAS signature is an HMAC in base64, usually URL-encoded; the total value is 43 to
# 129 characters. Alone it could be anything called "sig", so sv=/se=/sp= must sit in
# the same token (query string or connection-string field).
_SAS_SIG = LazyPattern(
    r"(?<![A-Za-z0-9_])sig=([A-Za-z0-9%+/]{40,128}(?:={1,2}|(?:%3[Dd]){1,2}))(?![A-Za-z0-9%+/=])"
)
_SAS_CONTEXT = LazyPattern(r"(?<![A-Za-z0-9_])s[vep]=")
_SAS_PARAM = LazyPattern(r"(?<![A-Za-z0-9_%])([a-z]{2,6})=([^&=?#\s\"'<>;`]*)")
_SAS_WINDOW = 1024  # a SAS query string is far shorter; the bound keeps hostile input linear
_TOKEN_BREAK = LazyPattern(r"[\s\"'<>;`]")

_PEM_LABEL = r"-----{} (?:[A-Z0-9]++ ){{0,3}}PRIVATE KEY(?: BLOCK)?-----"
_PEM_BEGIN = LazyPattern(_PEM_LABEL.format("BEGIN"))
_PEM_END = LazyPattern(_PEM_LABEL.format("END"))
# Body of a block whose end marker is missing (truncated log line): base64, header
# lines, JSON-escaped newlines; it stops at the next "-----".
_PEM_BODY = LazyPattern(r"(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----))*+")


def _sas_matches(text: str) -> Iterator[tuple[int, int, int, int]]:
    """Yield (start, end, token_start, token_end) for each SAS signature with context."""
    if "sig=" not in text:
        return
    breaks = [m.start() for m in _TOKEN_BREAK.finditer(text)]
    context = [m.start() for m in _SAS_CONTEXT.finditer(text)]
    for m in _SAS_SIG.finditer(text):
        start, end = m.span(1)
        if not 43 <= end - start <= 129:
            continue
        i = bisect_left(breaks, start)
        lo = max(breaks[i - 1] + 1 if i else 0, start - _SAS_WINDOW)
        hi = min(breaks[i] if i < len(breaks) else len(text), end + _SAS_WINDOW)
        j = bisect_left(context, lo)
        before = j < len(context) and context[j] < m.start()
        k = bisect_left(context, end)
        after = k < len(context) and context[k] < hi
        if before or after:
            yield start, end, lo, hi


def _pem_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield each private-key block; every end marker is searched for at most once."""
    if "-----BEGIN " not in text:
        return
    pos = 0
    end_m: re.Match[str] | None = None
    ends_exhausted = False
    while (m := _PEM_BEGIN.search(text, pos)) is not None:
        if not ends_exhausted and (end_m is None or end_m.start() < m.end()):
            end_m = _PEM_END.search(text, m.end())
            ends_exhausted = end_m is None
        closed = end_m is not None and end_m.start() >= m.end()
        if end_m is not None and closed and not _PEM_BEGIN.search(text, m.end(), end_m.start()):
            yield m.start(), end_m.end()
            pos = end_m.end()
        else:
            body = _PEM_BODY.match(text, m.end())
            stop = body.end() if body else m.end()
            yield m.start(), stop
            pos = stop


def _candidates(text: str) -> list[tuple[int, int, int, str]]:
    found: list[tuple[int, int, int, str]] = []
    lowered: str | None = None
    for rule in _RULES:
        if rule.folded:
            lowered = text.lower() if lowered is None else lowered
            if rule.hint not in lowered:
                continue
        elif rule.hint not in text:
            continue
        found.extend((*m.span(1), rule.priority, rule.kind) for m in rule.regex.finditer(text))
    found.extend((s, e, _SAS_PRIORITY, KIND_SAS_SIGNATURE) for s, e, _, _ in _sas_matches(text))
    found.extend((s, e, _PEM_PRIORITY, KIND_PRIVATE_KEY) for s, e in _pem_spans(text))
    return found


def scan(text: str) -> list[Finding]:
    """Every secret-shaped value in ``text``: non-overlapping, sorted by start.

    Where candidates overlap, the earliest-starting, longest one wins and a partial
    overlap widens it, so a redaction built on these spans never leaves a tail of a
    secret behind. Info kinds are reported only where no secret overlaps them.
    """
    found = _candidates(text)
    spans: list[tuple[int, int, str]] = []
    for start, end, _, kind in sorted(
        (c for c in found if c[3] not in INFO_KINDS), key=lambda c: (c[0], -c[1], c[2])
    ):
        if spans and start < spans[-1][1]:
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end, spans[-1][2])
            continue
        spans.append((start, end, kind))
    starts = [s for s, _, _ in spans]
    for start, end, _, kind in found:
        if kind in INFO_KINDS:
            i = bisect_left(starts, end)  # secrets starting before this info ends
            if i == 0 or spans[i - 1][1] <= start:
                spans.append((start, end, kind))
    spans.sort()
    return [Finding(kind, s, e, fingerprint(text[s:e])) for s, e, kind in spans]


def contains_secret(text: str) -> bool:
    """True when ``text`` holds any secret-shaped value (info kinds do not count)."""
    return any(f.kind in SECRET_KINDS for f in scan(text))


def _parse_expiry(raw: str | None) -> datetime | None:
    if not raw:
        return None
    value = unquote(raw).strip()
    try:
        if value.isdigit():  # Service Bus / Event Hubs tokens: seconds since the epoch
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def classify_sas(text: str) -> list[SasInfo]:
    """Parse every SAS in ``text``: expiry (``se``), permissions (``sp``) and signer.

    A SAS without ``skoid``/``sktid`` was signed with an account (or namespace) key
    rather than a user delegation key obtained with an Entra identity.
    """
    result: list[SasInfo] = []
    matches = list(_sas_matches(text))
    if not matches:
        return result
    found = list(_SAS_PARAM.finditer(text))
    positions = [m.start() for m in found]
    for start, end, lo, hi in matches:
        params: dict[str, str] = {}
        for m in found[bisect_left(positions, lo) : bisect_left(positions, hi)]:
            if not start <= m.start() < end:  # ignore look-alikes inside the signature
                params.setdefault(m.group(1), m.group(2))
        delegated = "skoid" in params or "sktid" in params  # user delegation key
        result.append(
            SasInfo(
                finding=Finding(KIND_SAS_SIGNATURE, start, end, fingerprint(text[start:end])),
                expiry=_parse_expiry(params.get("se")),
                permissions=unquote(params["sp"]) if "sp" in params else None,
                signed_with_account_key=not delegated,
                version=params.get("sv"),
            )
        )
    return result
