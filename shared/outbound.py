"""The secret-safe way to call a third-party ("partner") API.

``OutboundClient`` puts the API key in one configured header and nowhere else, asks the
key provider for it just before each call, and turns every failure into one of this
module's exceptions whose text is scrubbed and never contains a response body.

Retries (urllib3 ``Retry`` on one pooled session): connection failures, read failures
and 429/500/502/503/504 answers are retried with exponential backoff, honouring
``Retry-After`` up to ``max_retry_after`` seconds. A server asking for a longer wait is
not retried at all: the call fails at once with ``PartnerUnavailableError.retry_after``
set, so an HTTP handler can pass the hint on instead of holding its caller.

Only idempotent methods are retried by default. A POST whose response was lost may
already have been acted on by the partner (a job created, a charge made), so it is
retried only when the caller supplies ``idempotency_key``: it is sent as the
``Idempotency-Key`` header, which lets the partner recognise the repeat and answer it
without doing the work twice. Two ``Retry`` configurations, on two adapters, say so:
urllib3's default ``allowed_methods``, and the same plus POST; the call picks one.

On 401/403 the key is refetched once with ``force_fetch=True`` (it may have been rotated
in the vault) and the call repeated once; a second refusal raises ``PartnerAuthError``.
Redirects are never followed: they would carry the key header to another location.
"""

from __future__ import annotations

import contextvars
import http
import inspect
import ipaddress
import json as _json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, unquote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from shared.errors import (
    KeyPlacementError,
    OutboundError,
    PartnerAuthError,
    PartnerRejectedError,
    PartnerUnavailableError,
)
from shared.redaction import Secret, scrub
from shared.retryafter import parse_retry_after

__all__ = [
    "KeyPlacementError",
    "OutboundClient",
    "OutboundError",
    "PartnerAuthError",
    "PartnerRejectedError",
    "PartnerUnavailableError",
]

_LOG = logging.getLogger(__name__)

_RETRY_STATUSES = (429, 500, 502, 503, 504)
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
_POOL_MAXSIZE = 32  # enough for the Functions worker's thread pool; more connections wait


@dataclass
class _Call:
    increments: int = 0  # attempts urllib3 judged failed
    attempts: int = 0  # requests sent, for the per-call log line
    secret: Secret | None = None  # the key this call last sent (to name a rejected one)


# Per-call facts for _Retry. The adapter's Retry is shared by every call, so what differs
# between calls travels in a context variable (set and reset around each call, per thread).
_CURRENT: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "outbound_call", default=None
)


class _Retry(Retry):
    """``Retry`` that bounds ``Retry-After`` by giving up rather than waiting longer, and
    counts attempts for the log line."""

    def __init__(self, *args: Any, max_wait: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait

    def new(self, **kw: Any) -> Self:
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        call = _CURRENT.get()
        if call is not None:
            call.increments += 1
        if response is not None:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.max_wait:
                # raise_on_status=False turns this into "return the last response".
                reason = ResponseError("Retry-After beyond the configured bound")
                raise MaxRetryError(_pool, url, reason)  # type: ignore[arg-type]
        return super().increment(method, url, response, error, _pool, _stacktrace)


class OutboundClient:
    """A pooled, retrying HTTP client that carries a vault-held API key safely.

    :param base_url: the partner's base URL; https, or http to a loopback host only.
    :keyword key_provider: returns the key as a :class:`Secret`; called as
        ``key_provider()`` before each call and ``key_provider(force_fetch=True)`` after
        a 401/403, e.g. ``functools.partial(provider.get, "partner-api-key")``.
    :keyword header_name: the one header that carries the key.
    :keyword connect_timeout: seconds to establish a connection (per attempt).
    :keyword read_timeout: seconds to wait for the server between bytes (per attempt).
    :keyword total_retries: retries after the first attempt, across all causes.
    :keyword backoff_factor: exponential backoff base in seconds between retries.
    :keyword max_retry_after: longest wait honoured, from ``Retry-After`` or backoff.
    :keyword session: a session to use (e.g. with a CA bundle); the retrying adapter is
        mounted on it for ``base_url``, and it is left open by :meth:`close`. Calls go
        through the adapters with the session's environment (CA bundle, proxies).
    :raises KeyPlacementError: ``header_name`` is one that gets logged or forwarded.
    """

    def __init__(
        self,
        base_url: str,
        *,
        key_provider: Callable[..., Secret],
        header_name: str = "X-Api-Key",
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        total_retries: int = 3,
        backoff_factor: float = 0.5,
        max_retry_after: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self._base_url = _checked_base_url(base_url)
        lowered = header_name.lower()
        if not _TOKEN_RE.fullmatch(header_name):
            raise KeyPlacementError("header_name is not a valid HTTP header name")
        if lowered in _RESERVED_HEADERS or lowered.startswith(_RESERVED_PREFIXES):
            raise KeyPlacementError(f"the key must not travel in the {header_name} header")
        self._header_name = header_name
        self._key_provider = key_provider
        self._passes_rejected = _accepts_keyword(key_provider, "rejected")
        self._timeout = (connect_timeout, read_timeout)
        self._host = urlsplit(self._base_url).netloc
        retry = _Retry(
            total=total_retries,
            connect=total_retries,
            read=total_retries,
            status=total_retries,
            other=0,
            redirect=False,
            status_forcelist=_RETRY_STATUSES,
            backoff_factor=backoff_factor,
            backoff_max=max_retry_after,
            respect_retry_after_header=True,
            raise_on_status=False,
            max_wait=max_retry_after,
        )
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._adapter = HTTPAdapter(pool_maxsize=_POOL_MAXSIZE, max_retries=retry)
        self._retrying_post = HTTPAdapter(
            pool_maxsize=_POOL_MAXSIZE,
            max_retries=retry.new(allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"}),
        )
        self._session.mount(self._base_url + "/", self._adapter)

    def __repr__(self) -> str:
        return f"OutboundClient(base_url={self._base_url!r}, header_name={self._header_name!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections (the session, if it was passed in, stays open)."""
        self._retrying_post.close()
        if self._owns_session:
            self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> requests.Response:
        """Send one call (with retries) and return the 2xx response.

        :param method: HTTP method.
        :param path: path (and query) relative to ``base_url``.
        :keyword json: JSON-serialisable body.
        :keyword headers: extra headers; they may not carry or replace the key.
        :keyword idempotency_key: sent as ``Idempotency-Key``; makes a POST retryable.
        :raises PartnerUnavailableError: unreachable, timed out, 429/5xx after retries.
        :raises PartnerAuthError: 401/403 even with a freshly fetched key.
        :raises PartnerRejectedError: any other non-2xx answer.
        :raises KeyPlacementError: the key would appear in the URL, body or another header.
        :raises OutboundError: any other failure (e.g. TLS verification).
        """
        method = method.upper()
        url = self._url(path)
        extra = self._extra_headers(headers, idempotency_key)
        body = None if json is None else _json.dumps(json, separators=(",", ":")).encode()
        call = _Call()
        adapter = self._adapter
        if method == "POST" and idempotency_key is not None:
            adapter = self._retrying_post  # the partner can recognise the repeat
        token = _CURRENT.set(call)
        started = time.perf_counter()
        outcome = "not sent"
        try:
            response = self._send(adapter, method, url, body, extra, call, force_fetch=False)
            if response.status_code in (401, 403):
                response.close()  # the key may have been rotated: refetch it once and retry
                response = self._send(adapter, method, url, body, extra, call, force_fetch=True)
            outcome = str(response.status_code)
            return self._checked(response, method, path)
        except OutboundError as exc:
            if outcome == "not sent":
                outcome = type(exc).__name__
            raise
        finally:
            _CURRENT.reset(token)
            elapsed_ms = (time.perf_counter() - started) * 1000
            _LOG.debug(
                "%s %s -> %s, %d attempt(s), %.0f ms",
                method,
                urlsplit(url).path,
                outcome,
                call.attempts,
                elapsed_ms,
            )

    def post_json(
        self,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """POST ``json`` and return the decoded JSON answer (``None`` for an empty body).

        Raises as :meth:`request`, and :class:`OutboundError` for a body that is not JSON.
        """
        response = self.request(
            "POST", path, json=json, headers=headers, idempotency_key=idempotency_key
        )
        with response:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                # The decoder's message quotes the body; say only what went wrong.
                status = response.status_code
                raise OutboundError(
                    f"{self._host} answered {status} with a non-JSON body"
                ) from None

    def _url(self, path: str) -> str:
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or path.startswith("//") or "\\" in path:
            raise ValueError("path must be relative to base_url")
        return self._base_url + "/" + path.lstrip("/")

    def _extra_headers(
        self, headers: Mapping[str, str] | None, idempotency_key: str | None
    ) -> dict[str, str]:
        extra = dict(headers or {})
        names = {name.lower() for name in extra}
        if self._header_name.lower() in names:
            raise KeyPlacementError(f"the {self._header_name} header is set by the client")
        if names & {"host", "content-length", "content-type", "idempotency-key"}:
            raise ValueError("Host, Content-*, Idempotency-Key are set by the client")
        if idempotency_key is not None:
            if not _VALUE_RE.fullmatch(idempotency_key) or len(idempotency_key) > 255:
                raise ValueError("idempotency_key must be 1-255 visible ASCII characters")
            extra["Idempotency-Key"] = idempotency_key
        return extra

    def _send(
        self,
        adapter: HTTPAdapter,
        method: str,
        url: str,
        body: bytes | None,
        extra: dict[str, str],
        call: _Call,
        *,
        force_fetch: bool,
    ) -> requests.Response:
        """One call through the retrying adapter, with the key fetched just before it."""
        if not force_fetch:
            secret = self._key_provider()
        elif self._passes_rejected and call.secret is not None:
            secret = self._key_provider(force_fetch=True, rejected=call.secret)
        else:
            secret = self._key_provider(force_fetch=True)
        call.secret = secret
        headers = dict(extra)
        if body is not None:
            headers["Content-Type"] = "application/json"
        key = secret.reveal()
        if not _VALUE_RE.fullmatch(key):
            # requests would reject it with an error message that quotes the value.
            raise OutboundError("the key is not a valid HTTP header value")
        headers[self._header_name] = key
        prepared = self._session.prepare_request(
            requests.Request(method, url, headers=headers, data=body)
        )
        _refuse_misplaced(key, prepared, self._header_name)
        env = self._session.merge_environment_settings(prepared.url, {}, None, None, None)
        before = call.increments
        try:
            # The adapter itself sends, so no redirect is ever followed (it would carry the
            # key elsewhere) and the call's retry configuration is the one it chose.
            response = adapter.send(
                prepared,
                timeout=self._timeout,
                verify=True if env["verify"] is None else env["verify"],
                cert=env["cert"],
                proxies=env["proxies"],
            )
        except requests.RequestException as exc:
            failure, cause = self._translate(exc, method, url)
        else:
            retries = getattr(response.raw, "retries", None)
            call.attempts += len(getattr(retries, "history", ())) + 1
            return response
        # Raised outside the except block so the original exception (whose .request holds
        # the key header) is not kept as __context__; only a scrubbed copy is chained.
        call.attempts += call.increments - before
        raise failure from cause

    def _translate(
        self, exc: requests.RequestException, method: str, url: str
    ) -> tuple[OutboundError, Exception]:
        path = urlsplit(url).path
        cause = _scrubbed_copy(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            return OutboundError(f"TLS failure calling {self._host} ({method} {path})"), cause
        if _timed_out(exc):
            reason = "timed out"
        elif isinstance(exc, requests.ConnectionError | requests.exceptions.RetryError):
            reason = "connection failed"
        else:
            return OutboundError(f"{method} {path} to {self._host} failed"), cause
        message = f"partner {self._host} unavailable: {method} {path} {reason}"
        return PartnerUnavailableError(message), cause

    def _checked(self, response: requests.Response, method: str, path: str) -> requests.Response:
        status = response.status_code
        if 200 <= status < 300:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        response.close()  # the body is never read, logged or quoted
        where = f"{method} {urlsplit(path).path} to {self._host}"
        answered = f"HTTP {status} {_phrase(status)}"
        if status in (401, 403):
            raise PartnerAuthError(f"{where}: {answered} with a freshly fetched key", status=status)
        if status == 429 or status >= 500:
            raise PartnerUnavailableError(
                f"{where}: {answered}", status=status, retry_after=retry_after
            )
        if 300 <= status < 400:
            raise PartnerRejectedError(f"{where}: {answered}, redirect not followed", status=status)
        raise PartnerRejectedError(f"{where}: {answered}", status=status)


def _accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` takes ``name`` (SecretProvider.get does; a bare lambda may not)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def _checked_base_url(base_url: str) -> str:
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


def _refuse_misplaced(key: str, prepared: requests.PreparedRequest, header_name: str) -> None:
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
