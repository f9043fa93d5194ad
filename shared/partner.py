"""The partner API, wired: one secret provider and one outbound client per process.

The partner key is fetched from Key Vault just before use (cached in memory
for ``SECRET_CACHE_TTL_SECONDS``), placed in its one header by the outbound
client, refetched once when the partner answers 401/403 (the key was
rotated), and never logged or returned.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from shared.identity import get_credential
from shared.settings import get_settings

if TYPE_CHECKING:  # Key Vault SDK and requests load on the first partner call
    from shared.outbound import OutboundClient
    from shared.vault import SecretProvider

ANALYZE_PATH = "analyze"

#: The vault is read on the request path: two quick retries, not azure-core's default ten
#: with back-off up to two minutes. A longer outage is ridden out by the provider's stale
#: grace, or answered 503 with Retry-After when nothing is cached.
VAULT_RETRY_OPTIONS: dict[str, Any] = {
    "retry_total": 2,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 4,
}

#: Each instance's cached key lives between 80 % and 100 % of the TTL, drawn per fetch:
#: instances started by one scale-out (or refreshed by one rotation) would otherwise all
#: read the vault in the same seconds every TTL (docs/scale.md, "Key Vault").
SECRET_TTL_JITTER = 0.2

_lock = threading.Lock()
_provider: SecretProvider | None = None
_client: OutboundClient | None = None


def secret_provider() -> SecretProvider:
    global _provider
    if _provider is None:
        with _lock:
            if _provider is None:
                from azure.keyvault.secrets import SecretClient

                from shared.vault import SecretProvider

                settings = get_settings()
                _provider = SecretProvider(
                    SecretClient(settings.key_vault_uri, get_credential(), **VAULT_RETRY_OPTIONS),
                    ttl=settings.secret_cache_ttl,
                    ttl_jitter=SECRET_TTL_JITTER,
                )
    return _provider


def partner_client() -> OutboundClient:
    global _client
    if _client is None:
        provider = secret_provider()
        with _lock:
            if _client is None:
                from shared.outbound import OutboundClient

                settings = get_settings()
                _client = OutboundClient(
                    settings.partner_api_url,
                    key_provider=functools.partial(
                        provider.get, settings.partner_api_key_secret_name
                    ),
                    header_name=settings.partner_api_key_header,
                    connect_timeout=settings.partner_connect_timeout,
                    read_timeout=settings.partner_read_timeout,
                )
    return _client


def analyze(text: str, language: str | None, *, idempotency_key: str) -> dict[str, Any]:
    """Ask the partner to analyse ``text``; retried safely thanks to the idempotency key."""
    body: dict[str, Any] = {"text": text}
    if language:
        body["language"] = language
    answer = partner_client().post_json(ANALYZE_PATH, json=body, idempotency_key=idempotency_key)
    if not isinstance(answer, dict):
        raise ValueError("partner answered with something other than a JSON object")
    return answer


def reset() -> None:
    """Forget the provider and client (tests)."""
    global _provider, _client
    with _lock:
        if _client is not None:
            _client.close()
        _provider = _client = None
