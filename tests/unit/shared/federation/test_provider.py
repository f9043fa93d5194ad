"""PartnerTokenProvider: one exchange per token lifetime, bounded waits, a fresh token on demand.

The token source here is a stand-in that counts its calls (the real chain is
test_credential.py's); the failures are azure-core's own exception types, as azure-identity
raises them, carrying Entra's documented error body
(https://learn.microsoft.com/entra/identity-platform/reference-error-codes: ``error_codes``).
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from azure.core.credentials import AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from shared.federation import (
    FederationError,
    PartnerTokenProvider,
    TokenExchangeRefusedError,
    TokenExchangeUnavailableError,
    aadsts_code,
)
from shared.federation._credential import LastAnswer
from shared.federation._provider import failure_of
from shared.redaction import REDACTED, Secret, scrub

SCOPE = "api://partner/.default"
AUTHORITY = "https://login.example.net"


@dataclass
class Source:
    """A token source that answers ``lifetime``-second tokens, or raises ``failure``."""

    lifetime: int = 3600
    failure: Exception | None = None
    gate: threading.Event | None = None
    calls: int = 0
    closed: bool = False
    issued: list[str] = field(default_factory=list)

    def get_token_info(self, *scopes: str) -> AccessTokenInfo:
        assert scopes == (SCOPE,)
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(30)
        if self.failure is not None:
            raise self.failure
        value = "tok." + secrets.token_urlsafe(24)
        self.issued.append(value)
        return AccessTokenInfo(value, int(time.time()) + self.lifetime)

    def close(self) -> None:
        self.closed = True


def provider(*sources: Source, **options: Any) -> tuple[PartnerTokenProvider, Callable[[], int]]:
    """A provider over ``sources`` (one per build) and a count of builds."""
    built = iter(sources)
    count = [0]

    def build() -> Source:
        count[0] += 1
        return next(built)

    return PartnerTokenProvider(build, scope=SCOPE, authority=AUTHORITY, **options), lambda: count[
        0
    ]


def test_concurrent_callers_share_one_exchange_and_then_the_cache() -> None:
    source = Source(gate=threading.Event())
    tokens, builds = provider(source)
    results: list[Secret] = []
    threads = [threading.Thread(target=lambda: results.append(tokens.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    while source.calls == 0:  # the exchange is in flight: every caller waits on it
        time.sleep(0.01)
    assert source.gate is not None
    source.gate.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8
    assert {r.reveal() for r in results} == set(source.issued)
    for _ in range(50):
        tokens.get()
    assert (source.calls, builds()) == (1, 1)


def test_a_token_is_handed_out_until_its_refresh_margin() -> None:
    now = [1_000_000.0]
    source = Source()
    tokens, _ = provider(source, refresh_margin=300, clock=lambda: now[0])
    source_lifetime_end = time.time() + 3600
    first = tokens.get()
    now[0] = source_lifetime_end - 301
    assert tokens.get() is first
    now[0] = source_lifetime_end - 299
    assert tokens.get().reveal() != first.reveal()
    assert source.calls == 2


def test_force_fetch_builds_a_new_credential_and_lets_the_old_one_go() -> None:
    old, new = Source(), Source()
    tokens, builds = provider(old, new)
    refused = tokens.get()
    fresh = tokens.get(force_fetch=True)
    assert fresh.reveal() != refused.reveal()
    assert (old.calls, new.calls, builds()) == (1, 1, 2)
    assert not old.closed  # an exchange still in flight on it may finish
    tokens.close()
    assert new.closed


def test_calls_refused_together_cost_one_exchange() -> None:
    """What a revocation does under load (P3e): every call in flight is refused with the
    same token and asks for a new one, naming it; the first lets it go, the others wait for
    that refresh or take its token, and only a refusal of the new token asks again."""
    old, new, newer = Source(), Source(gate=threading.Event()), Source()
    tokens, builds = provider(old, new, newer)
    refused = tokens.get()
    results: list[Secret] = []

    def refused_call() -> None:
        results.append(tokens.get(force_fetch=True, rejected=refused))

    threads = [threading.Thread(target=refused_call) for _ in range(8)]
    for thread in threads:
        thread.start()
    while new.calls == 0:  # the refresh is in flight
        time.sleep(0.01)
    assert new.gate is not None
    new.gate.set()
    for thread in threads:
        thread.join(30)
    assert [r.reveal() for r in results] == new.issued * 8
    late = tokens.get(force_fetch=True, rejected=refused)  # after the refresh landed
    assert late.reveal() == new.issued[0]
    assert (old.calls, new.calls, builds()) == (1, 1, 2)
    again = tokens.get(force_fetch=True, rejected=late)  # the new token refused in turn
    assert again.reveal() == newer.issued[0]
    assert builds() == 3


def test_a_slow_exchange_is_not_waited_for_past_the_bound_but_fills_the_cache() -> None:
    source = Source(gate=threading.Event())
    tokens, _ = provider(source, wait=0.2)
    with pytest.raises(TokenExchangeUnavailableError) as slow:
        tokens.get()
    assert "within 0.2 s" in str(slow.value)
    assert source.gate is not None
    source.gate.set()
    while source.calls == 0 or not source.issued:
        time.sleep(0.01)
    deadline = time.monotonic() + 10
    while True:  # the landed exchange fills the cache: no second exchange
        try:
            token = tokens.get()
            break
        except TokenExchangeUnavailableError:
            assert time.monotonic() < deadline
    assert token.reveal() == source.issued[0]
    assert source.calls == 1


def test_the_token_is_a_secret_registered_with_the_redaction() -> None:
    tokens, _ = provider(Source())
    token = tokens.get()
    assert token.reveal() not in repr(token)
    assert token.reveal() not in f"{token}"
    assert scrub(f"Authorization: Bearer {token.reveal()}") == f"Authorization: Bearer {REDACTED}"


def test_a_failure_is_not_cached() -> None:
    failing = Source(failure=ServiceRequestError("connection refused"))
    tokens, _ = provider(failing)
    with pytest.raises(TokenExchangeUnavailableError):
        tokens.get()
    failing.failure = None
    assert tokens.get().reveal() == failing.issued[0]


class Answer:
    """An azure-core HTTP response as much as the failure naming reads of it."""

    def __init__(self, status: int, body: dict[str, Any] | None, headers: dict[str, str]) -> None:
        self.status_code, self._body, self.headers = status, body, headers
        self.reason = "Bad Request" if status == 400 else "Service Unavailable"
        self.request: Any = None
        self.content_type = "application/json"

    def text(self) -> str:
        return json.dumps(self._body) if self._body is not None else ""


def entra_refusal(code: int, status: int = 400) -> ClientAuthenticationError:
    body = {
        "error": "invalid_request",
        "error_description": f"AADSTS{code}: No matching federated identity record found.",
        "error_codes": [code],
    }
    message = f"Microsoft Entra ID error '(invalid_request) {body['error_description']}'"
    return ClientAuthenticationError(message=message, response=Answer(status, body, {}))


def test_entra_s_refusal_keeps_its_code_and_drops_its_description() -> None:
    failure = failure_of(entra_refusal(700213), "login.example.net:443")
    assert isinstance(failure, TokenExchangeRefusedError)
    assert (failure.aadsts, failure.public_detail, failure.status) == (
        "AADSTS700213",
        "AADSTS700213",
        400,
    )
    assert "No matching" not in str(failure)
    assert aadsts_code(ClientAuthenticationError("AADSTS70021: no record")) == "AADSTS70021"
    assert aadsts_code(ClientAuthenticationError("no code at all")) is None


UNEXPECTED = "Unexpected response"
BUSY = Answer(503, None, {"Retry-After": "7"})
OUTAGES = [
    (ServiceRequestError("refused"), None, TokenExchangeUnavailableError, None),
    (ClientAuthenticationError(message=UNEXPECTED, response=BUSY),
     None, TokenExchangeUnavailableError, 7.0),
    # azure-identity raises an answer without an OAuth error with no response attached: the
    # status noted on the way (LastAnswer) still tells an outage from an unknown failure.
    (ClientAuthenticationError(message=UNEXPECTED), (502, "3"), TokenExchangeUnavailableError, 3.0),
    (ClientAuthenticationError(message=UNEXPECTED), None, FederationError, None),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "recorded", "kind", "retry_after"), OUTAGES)
def test_an_outage_is_transient_with_the_authority_s_wait(
    exc: Exception, recorded: tuple[int, str] | None, kind: type, retry_after: float | None
) -> None:
    status, wait = recorded or (None, None)
    failure = failure_of(exc, "login.example.net:443", status=status, wait=wait)
    assert type(failure) is kind
    assert getattr(failure, "retry_after", None) == retry_after


def test_a_tls_failure_is_named_and_not_transient() -> None:
    cause = ssl.SSLCertVerificationError("certificate verify failed")
    exc = ServiceRequestError("TLS", error=cause)
    failure = failure_of(exc, "login.example.net:443")
    assert type(failure) is FederationError
    assert "no trusted TLS connection to login.example.net:443" in str(failure)


def test_last_answer_notes_status_and_wait() -> None:
    answers = LastAnswer()

    class Pipeline:
        http_response = Answer(429, None, {"Retry-After": "2"})

    answers.record(Pipeline())
    assert (answers.status, answers.retry_after) == (429, "2")
    answers.clear()
    assert (answers.status, answers.retry_after) == (None, None)
