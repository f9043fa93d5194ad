"""The partner's token, obtained once per lifetime and handed out as a :class:`Secret`.

``get()`` answers from memory while the token has more than ``refresh_margin`` seconds to
live: one assertion from the managed identity and one token from the partner's tenant per
token lifetime, however many jobs run (P3 counts both). Concurrent callers on a cold or
expiring cache share one exchange (:class:`~shared.singleflight.Flight`), which runs on a
thread of its own: no caller waits for it longer than ``wait`` seconds, after which it gets
:class:`TokenExchangeUnavailableError` while the exchange goes on and fills the cache when
it lands. That bounds the partner call's deadline the way the vault's wait does on the key
path.

``get(force_fetch=True)`` follows a 401 from the partner: the token it holds was refused
(revoked, or the partner's view of the app changed), so the cache is dropped together with
the ``ClientAssertionCredential`` (whose own cache would hand the same token back) and a new
token is asked for. The identity's assertion may be reused: the partner never saw it. With
``rejected=`` (the token the caller saw refused), a caller that comes after the refresh has
begun, or has landed, takes that refresh's token: the calls a revocation refuses together
cost one exchange, not one each (P3e), as the vault's ``rejected=`` does for the key.

Every token is wrapped in :class:`Secret` (which registers it with the redaction) before
anything else sees it. Failures are named by :mod:`shared.federation.errors`, with Entra's
``AADSTS`` code when it sent one and never its error description.

Each :meth:`PartnerTokenProvider.get` that waits for an exchange is an ``entra get token``
span, as the vault's read is a ``vault get secret`` one: the authority's ``host:port``,
``app.token.cache``: ``miss`` (``app.token.forced`` after a refusal) and, on a failure, our
error's class and message (the endpoint and the ``AADSTS`` code). A token held fresh is no
call and no span: the span of the call that asked for it says ``app.token.cache``: ``hit``.
The token, the assertion and Entra's error description never reach a span: it holds only
what this module sets on it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from shared.federation._credential import LastAnswer
from shared.federation.errors import (
    AssertionTemporarilyUnavailableError,
    AssertionUnavailableError,
    FederationError,
    TokenExchangeRefusedError,
    TokenExchangeUnavailableError,
)
from shared.net import host_and_port, parse_retry_after, tls_failure
from shared.redaction import Secret
from shared.singleflight import Flight, FlightTimeout
from shared.tracing import Value, annotate, span

if TYPE_CHECKING:
    from azure.core.credentials import AccessTokenInfo

__all__ = ["PartnerTokenProvider", "TokenSource", "aadsts_code"]

_LOG = logging.getLogger("shared.federation")  # the package, whose modules are private

#: Entra's error code in an error description or an ``error_codes`` entry.
_AADSTS: Final = re.compile(r"\bAADSTS(\d{5,8})\b")
_TRANSIENT_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
TOKEN_NAME: Final = "partner-token"  # noqa: S105 - what the Secret is called, not a value


class TokenSource(Protocol):
    """What the provider asks for a token (``ClientAssertionCredential``'s face)."""

    def get_token_info(self, *scopes: str) -> AccessTokenInfo: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Held:
    secret: Secret
    expires_on: float


class PartnerTokenProvider:
    """Tokens for ``scope`` from ``build()``'s credential, cached until near their expiry.

    :param build: makes a fresh credential (after a refused token the old one is let go).
    :keyword scope: the partner API's scope (``<application id URI>/.default``).
    :keyword answers: notes the status of the credential's last answer (``_credential``).
    :keyword authority: the authority's base URL, for messages (``host:port``).
    :keyword wait: the longest a caller waits for an exchange in flight (seconds).
    :keyword refresh_margin: seconds before expiry at which a token is no longer handed out.
    :keyword clock: wall-clock seconds (tokens expire in epoch time); injectable for tests.
    """

    def __init__(
        self,
        build: Callable[[], TokenSource],
        *,
        scope: str,
        authority: str,
        answers: LastAnswer | None = None,
        wait: float = 5.0,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._build, self._scope = build, scope
        self._answers = answers or LastAnswer()
        self._endpoint = host_and_port(authority.split("://", 1)[-1].split("/", 1)[0])
        self._wait, self._margin, self._clock = wait, refresh_margin, clock
        self._lock = threading.Lock()
        self._source: TokenSource | None = None
        self._held: _Held | None = None
        self._flight: Flight[_Held] | None = None
        self._generation = 0  # bumped by a forced refresh; an older exchange never lands

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def get(self, *, force_fetch: bool = False, rejected: Secret | None = None) -> Secret:
        """The current token; a new one when ``force_fetch`` (the partner refused it).

        :keyword rejected: with ``force_fetch``, the token the caller saw refused: when
            another token is held already, or on its way since that one was let go, the
            caller gets it and no exchange more is made.

        :raises TokenExchangeRefusedError: Entra refused the exchange (its ``AADSTS`` code).
        :raises TokenExchangeUnavailableError: the authority is unreachable, slow or failing.
        :raises AssertionUnavailableError: the managed identity gave no assertion.
        :raises FederationError: any other failure (no trusted TLS connection, ...).
        """
        found = self._held_or_flight(force_fetch, rejected)
        if isinstance(found, Secret):
            annotate({"app.token.cache": "hit"})
            return found
        attributes: dict[str, Value] = {"server.address": self._endpoint, "app.token.cache": "miss"}
        if force_fetch:
            attributes["app.token.forced"] = True
        with span("entra get token", attributes=attributes):
            try:
                return found.join(timeout=self._wait).secret
            except FlightTimeout:
                raise TokenExchangeUnavailableError(
                    f"no partner token from {self._endpoint} within {self._wait:g} s",
                    endpoint=self._endpoint,
                ) from None

    def _held_or_flight(self, force_fetch: bool, rejected: Secret | None) -> Secret | Flight[_Held]:
        """The token held fresh, or the exchange to wait for (launched if none is on its way)."""
        with self._lock:
            if force_fetch and not self._replaced(rejected):
                self._drop()
            held = self._held
            if held is not None and held.expires_on - self._margin > self._clock():
                return held.secret
            flight = self._flight
            if flight is None or flight.landed:
                flight = self._flight = Flight()
                flight.launch(self._exchange(self._generation), name="partner-token")
            return flight

    def invalidate(self) -> None:
        """Forget the token (it cannot be used); the next ``get`` asks for a new one."""
        with self._lock:
            self._drop()

    def close(self) -> None:
        with self._lock:
            source = self._source
            self._drop()
        if source is not None:
            source.close()

    def _replaced(self, rejected: Secret | None) -> bool:
        """Whether a token other than ``rejected`` is held, or on its way (the lock held): a
        flight in progress while nothing is held began after the last drop, on a new
        credential, so it brings a new token."""
        if rejected is None:
            return False
        if self._held is not None:
            return self._held.secret != rejected
        return self._flight is not None and not self._flight.landed

    def _drop(self) -> None:
        # The old credential is let go, not closed: an exchange still in flight on it
        # finishes (its answer is no longer kept) instead of failing its waiting callers.
        self._generation += 1
        self._held, self._flight, self._source = None, None, None

    def _exchange(self, generation: int) -> Callable[[], _Held]:
        def run() -> _Held:
            with self._lock:
                source = self._source = self._source or self._build()
            self._answers.clear()
            try:
                info = source.get_token_info(self._scope)
            except FederationError:
                raise
            except Exception as exc:  # azure-core/azure-identity: named below, text dropped
                last = self._answers
                failure = failure_of(exc, self._endpoint, status=last.status, wait=last.retry_after)
                raise failure from None
            held = _Held(Secret(info.token, name=TOKEN_NAME), float(info.expires_on))
            with self._lock:
                if generation == self._generation:
                    self._held = held
            _LOG.info("partner token obtained from %s", self._endpoint)
            return held

        return run


def aadsts_code(exc: Exception) -> str | None:
    """Entra's ``AADSTS`` code of a failed token request: from the answer's ``error_codes``
    when its body can be read, else from the exception's text."""
    response: Any = getattr(exc, "response", None)
    if response is not None:
        try:
            codes = json.loads(response.text()).get("error_codes") or []
        except (AttributeError, TypeError, ValueError):
            codes = []
        if codes and str(codes[0]).isdigit():
            return f"AADSTS{codes[0]}"
    match = _AADSTS.search(str(exc))
    return f"AADSTS{match.group(1)}" if match else None


def failure_of(
    exc: Exception, endpoint: str, *, status: int | None = None, wait: str | None = None
) -> FederationError:
    """Our exception for what the token request raised: Entra's refusal (with its code), a
    transient failure, or a TLS failure; the SDK's text is never copied. ``status`` and
    ``wait`` (``Retry-After``) are the last answer's, for an exception that lost them."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        ServiceRequestError,
        ServiceResponseError,
    )

    response: Any = getattr(exc, "response", None)
    if response is not None:
        status, wait = response.status_code, response.headers.get("Retry-After")
    tls = tls_failure(exc)
    if tls is not None:
        return FederationError(f"no trusted TLS connection to {endpoint}: {tls}", endpoint=endpoint)
    if isinstance(exc, ServiceRequestError | ServiceResponseError) or (
        isinstance(status, int) and status in _TRANSIENT_STATUSES
    ):
        reason = f"HTTP {status}" if status else "unreachable"
        return TokenExchangeUnavailableError(
            f"the token endpoint at {endpoint} failed ({reason})",
            endpoint=endpoint,
            status=status,
            retry_after=parse_retry_after(wait),
        )
    code = aadsts_code(exc)
    if isinstance(exc, ClientAuthenticationError) and code is not None:
        return TokenExchangeRefusedError(
            f"{endpoint} refused the token exchange with {code} (HTTP {status})",
            endpoint=endpoint,
            aadsts=code,
            status=status,
        )
    return FederationError(
        f"the token request to {endpoint} failed ({type(exc).__name__})", endpoint=endpoint
    )


def assertion_failure(
    exc: Exception, endpoint: str, *, status: int | None = None
) -> AssertionUnavailableError:
    """What the identity credential's failure is called: transient when the identity
    endpoint was unreachable or failed, a configuration error otherwise. ``status`` is its
    last answer's, for an exception that lost it."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    response: Any = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or status
    transient = isinstance(exc, ServiceRequestError | ServiceResponseError) or (
        isinstance(status, int) and status in _TRANSIENT_STATUSES
    )
    reason = f"HTTP {status}" if status else type(exc).__name__
    failure = AssertionTemporarilyUnavailableError if transient else AssertionUnavailableError
    return failure(
        f"the managed identity gave no token for the federated exchange ({reason})",
        endpoint=endpoint,
    )
