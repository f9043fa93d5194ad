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

import http
import inspect
import json as _json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from shared.errors import (
    KeyPlacementError,
    OutboundError,
    PartnerAuthError,
    PartnerRejectedError,
    PartnerUnavailableError,
)
from shared.keyplacement import (
    check_key_header,
    checked_base_url,
    is_header_value,
    refuse_misplaced,
)
from shared.redaction import Secret, scrub
from shared.retries import BoundedRetry, RetryCount, current_count
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
_POOL_MAXSIZE = 32  # enough for the Functions worker's thread pool; more connections wait


@dataclass
class _Call(RetryCount):
    attempts: int = 0  # requests sent, for the per-call log line
    secret: Secret | None = None  # the key this call last sent (to name a rejected one)


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
        self._base_url = checked_base_url(base_url)
        check_key_header(header_name)
        self._header_name = header_name
        self._key_provider = key_provider
        self._passes_rejected = _accepts_keyword(key_provider, "rejected")
        self._timeout = (connect_timeout, read_timeout)
        self._host = urlsplit(self._base_url).netloc
        retry = BoundedRetry(
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
        token = current_count.set(call)
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
            current_count.reset(token)
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
            if not is_header_value(idempotency_key) or len(idempotency_key) > 255:
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
        if not is_header_value(key):
            # requests would reject it with an error message that quotes the value.
            raise OutboundError("the key is not a valid HTTP header value")
        headers[self._header_name] = key
        prepared = self._session.prepare_request(
            requests.Request(method, url, headers=headers, data=body)
        )
        refuse_misplaced(key, prepared, self._header_name)
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
