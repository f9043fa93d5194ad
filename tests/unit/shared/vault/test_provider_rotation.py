"""A burst of callers noticing one key rotation costs one vault read, not one each."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from shared.redaction import Secret
from shared.vault import SecretProvider


@dataclass
class _Fetched:
    value: str


class CountingClient:
    """Stands in for SecretClient: the vault's current value, and a count of reads."""

    vault_url = "https://vault.example/"

    def __init__(self) -> None:
        self.value = secrets.token_urlsafe(24)
        self.reads = 0
        self._lock = threading.Lock()

    def get_secret(self, name: str, version: str | None = None, **_: Any) -> _Fetched:
        with self._lock:
            self.reads += 1
            return _Fetched(self.value)


def test_forced_refetches_after_one_rotation_share_the_new_value() -> None:
    client = CountingClient()
    provider = SecretProvider(client, ttl=300)  # type: ignore[arg-type]
    old = provider.get("partner-api-key")
    client.value = secrets.token_urlsafe(24)  # rotated in the vault
    fresh = [provider.get("partner-api-key", force_fetch=True, rejected=old) for _ in range(8)]
    assert client.reads == 2, "one initial read and one refetch for the whole burst"
    assert all(secret.reveal() == client.value for secret in fresh)


def test_a_rejected_value_that_is_still_cached_is_refetched() -> None:
    client = CountingClient()
    provider = SecretProvider(client, ttl=300)  # type: ignore[arg-type]
    old = provider.get("partner-api-key")
    client.value = secrets.token_urlsafe(24)
    provider.get("partner-api-key", force_fetch=True, rejected=old)
    provider.get("partner-api-key", force_fetch=True, rejected=Secret(client.value))
    assert client.reads == 3, "a caller that saw the current value refused forces a new read"
