"""shared.vault._provider, traced: each read says how the cache answered, never the value: a
read that waits for the vault on a span of its own, a fresh value on the caller's span."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.keyvault.secrets import SecretClient

from shared.tracing import span
from shared.vault import SecretProvider, VaultUnavailableError
from tests.support.scripted_vault import FakeClock, ScriptedVault, make_client
from tests.support.spans import recording

TTL = 300.0  # seconds a value is fresh; as long again it may be served stale


@pytest.fixture
def setup() -> Iterator[tuple[ScriptedVault, SecretClient, FakeClock, SecretProvider]]:
    vault, clock = ScriptedVault(), FakeClock()
    with make_client(vault) as client:
        yield vault, client, clock, SecretProvider(client, ttl=TTL, clock=clock)


def test_a_miss_a_hit_a_stale_value_and_a_failure(
    setup: tuple[ScriptedVault, SecretClient, FakeClock, SecretProvider],
) -> None:
    vault, client, clock, provider = setup
    value = vault.put(client.vault_url, "partner-api-key")
    with recording() as recorded:
        provider.get("partner-api-key")
        with span("partner POST", kind="client"):
            provider.get("partner-api-key")  # fresh: no call, said on the caller's span
        clock.advance(TTL + TTL - 1)  # within the grace
        vault.error = (503, {"error": {"code": "ServiceUnavailable", "message": "x"}}, {})
        provider.get("partner-api-key")
        clock.advance(TTL + TTL + 1)  # past it
        with pytest.raises(VaultUnavailableError):
            provider.get("partner-api-key")
        spans = recorded.spans()
    assert [s.name for s in spans] == ["vault get secret", "partner POST"] + [
        "vault get secret"
    ] * 2
    caches = [(s.attributes or {})["app.vault.cache"] for s in spans]
    assert caches == ["miss", "hit", "stale", "miss"]
    assert all((s.attributes or {})["app.secret.name"] == "partner-api-key" for s in spans)
    assert spans[3].status.status_code.name == "ERROR"
    assert (spans[3].attributes or {})["error.type"] == "VaultUnavailableError"
    assert all(value not in repr(s.to_json()) for s in spans)
