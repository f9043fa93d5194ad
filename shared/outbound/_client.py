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
without doing the work twice: two ``Retry`` configurations (urllib3's default methods, and
those plus POST) on two adapters; the call picks one.

On 401/403 the key is refetched once with ``force_fetch=True`` (it may have been rotated
in the vault) and the call repeated once; a second refusal raises ``PartnerAuthError``.
Redirects are never followed (they would carry the key header elsewhere).

With ``scheme`` (``"Bearer"``) the credential is a token in ``Authorization: Bearer <token>``
(``PARTNER_AUTH=entra``): the provider is a token provider, the 401 answer asks it for a new
token, and a second refusal is ``PartnerTokenRejectedError``. Every other rule holds alike.

An unusable key (too short, a blank or control character) is ``PartnerKeyError``, found
before sending; ``on_invalid_key`` lets the provider forget it. Each call has an overall
``deadline`` (``_deadline``); the 2xx answer is read bounded and refused if it holds a
registered secret (``_answers``). No cookie is ever stored or sent. The environment's
proxies and CA bundle for ``base_url`` (and a passed-in session's own) are read once, when
the client is built (:mod:`shared.httpenv`). Each call is a client
span (``partner <METHOD>``) and one debug line (``_tracing``).
"""

from __future__ import annotations

import http
import http.cookiejar
import inspect
import json as _json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.httpenv import settings_for
from shared.net import host_and_port
from shared.outbound._answers import decode_json, read_answer
from shared.outbound._deadline import Deadline, DeadlineAdapter, arm, current_deadline
from shared.outbound._failures import failure_of, past_deadline, refusal_of
from shared.outbound._placement import (
    check_key_header,
    checked_base_url,
    is_header_value,
    refuse_misplaced,
    usable_key,
)
from shared.outbound._retries import BoundedRetry, RetryCount, current_count
from shared.outbound._tracing import call_ended, call_span
from shared.outbound.errors import (
    KeyPlacementError,
    OutboundError,
    PartnerAnswerError,
    PartnerUnavailableError,
)
from shared.redaction import Secret
from shared.settings import PARTNER_CONNECT_TIMEOUT, PARTNER_DEADLINE, PARTNER_READ_TIMEOUT

__all__ = ["OutboundClient"]


#: The defaults are the partner settings' (one decision, :mod:`shared.settings`): a client
#: built without them waits as the app's partner calls do.
CONNECT_TIMEOUT: Final = PARTNER_CONNECT_TIMEOUT.get({})
READ_TIMEOUT: Final = PARTNER_READ_TIMEOUT.get({})
DEADLINE: Final = PARTNER_DEADLINE.get({})
_PORTS = {"https": 443, "http": 80}
_RETRY_STATUSES = (429, 500, 502, 503, 504)
_POOL_MAXSIZE = 32  # enough for the Functions worker's thread pool; more connections wait
# No allowed domain: DefaultCookiePolicy stores no cookie from an answer and returns none.
_NO_COOKIES = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
_SET_BY_CLIENT = frozenset(
    {"host", "content-length", "content-type", "idempotency-key", "cookie", "accept-encoding"}
)


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
    :keyword deadline: seconds a whole call may take, retries and reading the answer
        included (the key provider's time too).
    :keyword max_answer_bytes: the largest answer body read; a larger one is refused.
    :keyword min_key_length: a shorter key is refused as a configuration error.
    :keyword on_invalid_key: called when the key cannot be used (to forget it).
    :keyword scheme: an authentication scheme (``"Bearer"``) to put before the credential in
        its header; then the header is ``Authorization`` and the credential a token.
    :keyword session: a session to use (e.g. with a CA bundle); the retrying adapter is
        mounted on it for ``base_url``, and it is left open by :meth:`close`. Calls go
        through the adapters with the session's CA bundle and proxies and the
        environment's, read when the client is built; its cookies are never sent.
    :raises KeyPlacementError: ``header_name`` is one that gets logged or forwarded.
    """

    def __init__(
        self,
        base_url: str,
        *,
        key_provider: Callable[..., Secret],
        header_name: str = "X-Api-Key",
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        total_retries: int = 3,
        backoff_factor: float = 0.5,
        max_retry_after: float = 30.0,
        deadline: float = DEADLINE,
        max_answer_bytes: int = 1024 * 1024,
        min_key_length: int = 16,
        on_invalid_key: Callable[[], None] | None = None,
        session: requests.Session | None = None,
        scheme: str | None = None,
    ) -> None:
        self._base_url = checked_base_url(base_url)
        check_key_header(header_name)
        if scheme is not None and (header_name.lower() != "authorization" or not scheme.isalpha()):
            raise KeyPlacementError("a scheme is sent in the Authorization header only")
        self._scheme = scheme
        if deadline <= 0 or max_answer_bytes <= 0:
            raise ValueError("deadline and max_answer_bytes must be positive")
        self._header_name, self._key_provider = header_name, key_provider
        self._passes_rejected = _accepts_keyword(key_provider, "rejected")
        self._timeout, self._deadline = (connect_timeout, read_timeout), deadline
        self._max_answer, self._min_key_length = max_answer_bytes, min_key_length
        self._on_invalid_key = on_invalid_key
        parts = urlsplit(self._base_url)
        self._host = parts.netloc
        self._endpoint = host_and_port(parts.netloc, default_port=_PORTS[parts.scheme])
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
        if self._owns_session:
            self._session.cookies.set_policy(_NO_COOKIES)
        self._adapter = DeadlineAdapter(pool_maxsize=_POOL_MAXSIZE, max_retries=retry)
        self._retrying_post = DeadlineAdapter(
            pool_maxsize=_POOL_MAXSIZE,
            max_retries=retry.new(allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"}),
        )
        self._session.mount(self._base_url + "/", self._adapter)
        # Proxies and CA bundle for the base URL, read once: requests would read the whole
        # environment again on every call (shared.httpenv).
        self._environment = settings_for(self._base_url, session=self._session)

    @property
    def endpoint(self) -> str:
        """The partner's ``host:port``, as error messages and log lines name it."""
        return self._endpoint

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
        :raises PartnerUnavailableError: unreachable, timed out, past the deadline, or
            429/5xx after retries.
        :raises PartnerAuthError: 401/403 even with a freshly fetched key.
        :raises PartnerRejectedError: any other non-2xx answer.
        :raises PartnerAnswerError: a 2xx answer too large, compressed, or holding a
            registered secret (in a header or the body).
        :raises PartnerKeyError: the key cannot be used (too short, not visible ASCII).
        :raises OutboundTlsError: no trusted TLS connection.
        :raises KeyPlacementError: the key would appear in the URL, body or another header.
        :raises OutboundError: any other failure.
        """
        method = method.upper()
        url = self._url(path)
        extra = self._extra_headers(headers, idempotency_key)
        body = None if json is None else _json.dumps(json, separators=(",", ":")).encode()
        call = _Call()
        deadline = Deadline(self._deadline)
        arm(deadline)
        adapter = self._adapter
        if method == "POST" and idempotency_key is not None:
            adapter = self._retrying_post  # the partner can recognise the repeat
        token, watched = current_count.set(call), current_deadline.set(deadline)
        started = time.perf_counter()
        outcome = "not sent"
        traced = call_span(method, url, self._endpoint)
        try:
            response = self._send(adapter, method, url, body, extra, call, force_fetch=False)
            if response.status_code in (401, 403):
                response.close()  # the key may have been rotated: refetch it once and retry
                response = self._send(adapter, method, url, body, extra, call, force_fetch=True)
            outcome = str(response.status_code)
            refused = refusal_of(response, self._host, method, path, bearer=bool(self._scheme))
            if refused is not None:
                raise refused
            return self._answer(response, method, path)
        except OutboundError as exc:
            exc.endpoint = self._endpoint
            named = type(exc).__name__
            outcome = named if outcome == "not sent" else f"{outcome}, {named}"
            raise
        finally:
            deadline.finish()
            current_deadline.reset(watched)
            current_count.reset(token)
            call_ended(
                traced, method, url, outcome=outcome, attempts=call.attempts, started=started
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

        Raises as :meth:`request`, and :class:`PartnerAnswerError` for a body that is not
        JSON or holds a registered secret in one of its strings once decoded.
        """
        response = self.request(
            "POST", path, json=json, headers=headers, idempotency_key=idempotency_key
        )
        with response:
            if not response.content:
                return None
            where = f"POST {urlsplit(path).path} to {self._host}"
            try:
                return decode_json(response.content, status=response.status_code, where=where)
            except PartnerAnswerError as exc:
                exc.endpoint = self._endpoint
                raise

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
        if names & _SET_BY_CLIENT:
            raise ValueError("Host, Content-*, Idempotency-Key, Accept-Encoding, Cookie: refused")
        extra["Accept-Encoding"] = "identity"  # the answer's size limit is what is held
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
        key = usable_key(secret, min_length=self._min_key_length, on_invalid=self._on_invalid_key)
        headers[self._header_name] = key if self._scheme is None else f"{self._scheme} {key}"
        prepared = self._session.prepare_request(
            requests.Request(method, url, headers=headers, data=body)
        )
        prepared.headers.pop("Cookie", None)  # a passed-in session's jar is not replayed either
        refuse_misplaced(key, prepared, self._header_name)
        deadline = current_deadline.get()
        left = self._deadline if deadline is None else deadline.remaining()
        if left <= 0:
            raise PartnerUnavailableError(past_deadline(self._host, method, url, self._deadline))
        before = call.increments
        try:
            # The adapter itself sends, so no redirect is ever followed (it would carry the
            # key elsewhere) and the call's retry configuration is the one it chose. The
            # body stays on the socket (stream=True) until _answer reads it, bounded.
            response = adapter.send(
                prepared,
                stream=True,
                timeout=(min(self._timeout[0], left), min(self._timeout[1], left)),
                **self._environment.as_send_keywords(),
            )
        except requests.RequestException as exc:
            failure, cause = failure_of(exc, self._host, method, url, self._deadline)
        else:
            retries = getattr(response.raw, "retries", None)
            call.attempts += len(getattr(retries, "history", ())) + 1
            return response
        # Raised outside the except block so the original exception (whose .request holds
        # the key header) is not kept as __context__; only a scrubbed copy is chained.
        call.attempts += call.increments - before
        raise failure from cause

    def _answer(self, response: requests.Response, method: str, path: str) -> requests.Response:
        """The 2xx response with its body read (bounded) and checked for secrets."""
        where = f"{method} {urlsplit(path).path} to {self._host}"
        content = read_answer(response, limit=self._max_answer, where=where)
        deadline = current_deadline.get()
        if deadline is not None and deadline.expired:  # a cut answer may look whole: refuse it
            response.close()
            raise PartnerUnavailableError(past_deadline(self._host, method, path, self._deadline))
        if content is None:
            message = f"partner {self._host} unavailable: {where} broke off while answering"
            raise PartnerUnavailableError(message)
        response._content = content
        return response


def _accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` takes ``name`` (SecretProvider.get does; a bare lambda may not)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )
