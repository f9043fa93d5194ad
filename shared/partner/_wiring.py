"""The partner API, wired: one credential provider and one outbound client per process.

``PARTNER_AUTH=key``: the partner key is fetched from Key Vault just before use (cached in
memory for ``SECRET_CACHE_TTL_SECONDS``), placed in its one header by the outbound client,
refetched once when the partner answers 401/403 (the key was rotated), forgotten when it
cannot be used (too short, a stray blank), and never logged or returned.

``PARTNER_AUTH=entra``: no vault at all. A token from the partner's tenant, obtained with
the managed identity as the federated credential of the app registration
(:mod:`shared.federation`), travels as ``Authorization: Bearer``; it is held until near its
expiry, asked for anew once when the partner answers 401/403, and never logged or returned.

Of the partner's answer, in both modes, only values of the app's own closed sets are kept
(:mod:`shared.partner._answer`).
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from shared.identity import get_credential
from shared.outbound import PartnerAnswerError
from shared.partner._answer import analysis_from
from shared.settings import get_settings

if TYPE_CHECKING:  # Key Vault SDK, azure-identity and requests load on the first partner call
    from shared.federation import PartnerTokenProvider
    from shared.outbound import OutboundClient
    from shared.vault import SecretProvider

ANALYZE_PATH = "analyze"
#: The analysis answer is a few hundred bytes; 64 KiB leaves room and bounds a hostile one.
MAX_ANSWER_BYTES = 64 * 1024

#: The vault is read on the request path. The client is bounded (timeouts, two quick
#: retries, no sleeping on a long Retry-After: :mod:`shared.vault._client`), and no request
#: waits for a fetch longer than these: a caller with nothing usable gets 503 with
#: Retry-After after ``VAULT_WAIT_SECONDS``; one with a value within the stale grace is
#: served it after ``VAULT_STALE_WAIT_SECONDS`` while the refresh goes on.
VAULT_WAIT_SECONDS = 5.0
VAULT_STALE_WAIT_SECONDS = 0.5

#: Each instance's cached key lives between 80 % and 100 % of the TTL, drawn per fetch:
#: instances started by one scale-out (or refreshed by one rotation) would otherwise all
#: read the vault in the same seconds every TTL (docs/scale.md, "Key Vault").
SECRET_TTL_JITTER = 0.2

_lock = threading.Lock()
_provider: SecretProvider | None = None
_tokens: PartnerTokenProvider | None = None
_client: OutboundClient | None = None


def secret_provider() -> SecretProvider:
    global _provider
    if _provider is None:
        with _lock:
            if _provider is None:
                from shared.vault import SecretProvider, secret_client

                settings = get_settings()
                if settings.key_vault_uri is None:  # PARTNER_AUTH=entra: no vault to read
                    raise RuntimeError("PARTNER_AUTH is entra: the partner takes no key")
                _provider = SecretProvider(
                    secret_client(settings.key_vault_uri, get_credential()),
                    ttl=settings.secret_cache_ttl,
                    wait=VAULT_WAIT_SECONDS,
                    stale_wait=VAULT_STALE_WAIT_SECONDS,
                    ttl_jitter=SECRET_TTL_JITTER,
                )
    return _provider


def token_provider() -> PartnerTokenProvider:
    """The partner's token (``PARTNER_AUTH=entra``), held until near its expiry."""
    global _tokens
    if _tokens is None:
        with _lock:
            if _tokens is None:
                from shared.federation import token_provider as build

                entra = get_settings().entra
                if entra is None:
                    raise RuntimeError("PARTNER_AUTH is not entra: the partner takes the key")
                _tokens = build(entra)
    return _tokens


def partner_client() -> OutboundClient:
    global _client
    if _client is None:
        settings = get_settings()
        options: dict[str, Any]
        if settings.partner_auth == "entra":
            tokens = token_provider()
            options = {
                "key_provider": tokens.get,
                "header_name": "Authorization",
                "scheme": "Bearer",
                "on_invalid_key": tokens.invalidate,
            }
        else:
            provider, name = secret_provider(), settings.partner_api_key_secret_name
            options = {
                "key_provider": functools.partial(provider.get, name),
                "header_name": settings.partner_api_key_header,
                "on_invalid_key": functools.partial(provider.invalidate, name),
            }
        with _lock:
            if _client is None:
                from shared.outbound import OutboundClient

                _client = OutboundClient(
                    settings.partner_api_url,
                    connect_timeout=settings.partner_connect_timeout,
                    read_timeout=settings.partner_read_timeout,
                    deadline=settings.partner_deadline,
                    max_answer_bytes=MAX_ANSWER_BYTES,
                    **options,
                )
    return _client


def analyze(text: str, language: str | None, *, idempotency_key: str) -> dict[str, str | None]:
    """Ask the partner to analyse ``text``; retried safely thanks to the idempotency key.

    Returns only the fields the app keeps, each one of its own values
    (:mod:`shared.partner._answer`).

    :raises PartnerAnswerError: the answer holds a registered secret, is too large, is not
        JSON, or is outside the allow-list; nothing of it is kept.
    """
    body: dict[str, Any] = {"text": text}
    if language:
        body["language"] = language
    answer = partner_client().post_json(ANALYZE_PATH, json=body, idempotency_key=idempotency_key)
    try:
        return analysis_from(answer, requested_language=language or None)
    except PartnerAnswerError as exc:
        exc.endpoint = partner_client().endpoint
        raise


def reset() -> None:
    """Forget the providers and the client (tests)."""
    global _provider, _tokens, _client
    with _lock:
        if _client is not None:
            _client.close()
        if _tokens is not None:
            _tokens.close()
        _provider = _tokens = _client = None
