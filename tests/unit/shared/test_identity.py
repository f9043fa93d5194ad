"""The shared credential: one per process, token requests one at a time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.core.credentials import AccessToken

from shared import identity
from shared.identity import SharedCredential, identity_source


class SlowCachingCredential:
    """Like azure-identity: a cold cache goes to the endpoint, a warm one does not."""

    def __init__(self) -> None:
        self.requests = 0
        self.cache: dict[str, AccessToken] = {}
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            if scopes[0] not in self.cache:
                time.sleep(0.05)  # the identity endpoint's round trip
                self.requests += 1
                self.cache[scopes[0]] = AccessToken("t", int(time.time()) + 3600)
            return self.cache[scopes[0]]
        finally:
            with self._lock:
                self.active -= 1


def test_concurrent_callers_on_a_cold_cache_cause_one_request() -> None:
    inner = SlowCachingCredential()
    shared = SharedCredential(inner)  # type: ignore[arg-type]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: shared.get_token("https://storage.azure.com/.default"), range(16)))
    assert inner.requests == 1
    assert inner.most_active == 1


def test_one_credential_per_process() -> None:
    identity.reset_credential()
    try:
        assert identity.get_credential() is identity.get_credential()
    finally:
        identity.reset_credential()


def test_identity_source_reads_the_environment_only() -> None:
    managed = identity_source({"IDENTITY_ENDPOINT": "x", "IDENTITY_HEADER": "y"})
    assert str(managed["source"]).startswith("managed identity")
    secret_based = identity_source({"AZURE_CLIENT_SECRET": "z" * 10, "AZURE_TENANT_ID": "t"})
    assert str(secret_based["source"]).startswith("environment")
    assert "z" * 10 not in str(secret_based)
    assert str(identity_source({})["source"]).startswith("developer")
