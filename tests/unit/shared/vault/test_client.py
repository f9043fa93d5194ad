"""shared.vault._client: the app's SecretClient never sleeps on a long Retry-After or waits 300 s.

The real SecretClient and azure-core pipeline run unchanged; requests' ``HTTPAdapter.send``
is replaced by the scripted vault of test_vault.py, and ``RequestsTransport.sleep`` records
instead of sleeping. Source of the behaviour bounded here: azure-core 1.41
``azure/core/pipeline/policies/_retry.py`` (``RetryPolicyBase.is_retry`` retries any 4xx/5xx
answer carrying ``Retry-After``; ``RetryPolicy._sleep_for_retry`` sleeps for its full value,
also read from ``retry-after-ms`` and ``x-ms-retry-after-ms`` by ``_utils.get_retry_after``),
and ``azure/core/configuration.py`` (``ConnectionConfiguration``: 300 s connect and read
timeouts unless ``connection_timeout`` / ``read_timeout`` are given to the client).
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import HTTPAdapter

from shared.vault import MAX_RETRY_AFTER, SecretProvider, VaultUnavailableError
from shared.vault import _client as vaultclient
from tests.support.scripted_vault import FakeCredential, ScriptedVault

VAULT_URL = "https://kv-bounded.vault.azure.net"
THROTTLED: dict[str, object] = {"error": {"code": "Throttled", "message": "slow down"}}


class Wire:
    """What the client sent (timeouts per attempt) and how long it asked to sleep."""

    def __init__(self) -> None:
        self.vault = ScriptedVault()
        self.timeouts: list[Any] = []
        self.sleeps: list[float] = []


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    recorded = Wire()

    def send(adapter: HTTPAdapter, request: Any, **kwargs: Any) -> Any:
        recorded.timeouts.append(kwargs.get("timeout"))
        return recorded.vault.send(request, **kwargs)

    def sleep(_: RequestsTransport, seconds: float) -> None:
        recorded.sleeps.append(seconds)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    monkeypatch.setattr(RequestsTransport, "sleep", sleep)
    return recorded


def authorised(wire: Wire) -> int:
    return wire.vault.count()


@pytest.mark.parametrize(
    "header", [{"Retry-After": "99999"}, {"x-ms-retry-after-ms": "99999000"}], ids=["s", "ms"]
)
def test_a_retry_after_beyond_the_cap_ends_the_retries_at_once(
    wire: Wire, header: dict[str, str]
) -> None:
    wire.vault.error = (429, THROTTLED, header)
    with (
        vaultclient.secret_client(VAULT_URL, FakeCredential()) as client,
        pytest.raises(HttpResponseError) as caught,
    ):
        client.get_secret("partner-api-key")
    assert caught.value.status_code == 429
    assert authorised(wire) == 1
    assert wire.sleeps == []


def test_a_short_retry_after_is_slept_on_and_retried(wire: Wire) -> None:
    wire.vault.error = (429, THROTTLED, {"Retry-After": "1"})
    with (
        vaultclient.secret_client(VAULT_URL, FakeCredential()) as client,
        pytest.raises(HttpResponseError),
    ):
        client.get_secret("partner-api-key")
    assert authorised(wire) == 1 + vaultclient.RETRY_TOTAL
    assert wire.sleeps == [1.0] * vaultclient.RETRY_TOTAL


def test_the_unbounded_default_would_have_slept_on_it(wire: Wire) -> None:
    """The positive control: azure-core's own policy sleeps the whole Retry-After."""
    from azure.keyvault.secrets import SecretClient

    wire.vault.error = (429, THROTTLED, {"Retry-After": "99999"})
    with (
        SecretClient(VAULT_URL, FakeCredential(), retry_total=1) as client,
        pytest.raises(HttpResponseError),
    ):
        client.get_secret("partner-api-key")
    assert wire.sleeps == [99999.0]


def test_every_attempt_carries_the_connect_and_read_timeouts(wire: Wire) -> None:
    value = wire.vault.put(VAULT_URL, "partner-api-key")
    with vaultclient.secret_client(VAULT_URL, FakeCredential()) as client:
        assert client.get_secret("partner-api-key").value == value
    expected = (vaultclient.CONNECTION_TIMEOUT, vaultclient.READ_TIMEOUT)
    assert wire.timeouts
    assert all(timeout == expected for timeout in wire.timeouts)


def test_the_provider_reports_a_throttled_vault_unavailable_with_a_capped_retry_after(
    wire: Wire,
) -> None:
    wire.vault.error = (429, THROTTLED, {"Retry-After": "99999"})
    with (
        vaultclient.secret_client(VAULT_URL, FakeCredential()) as client,
        pytest.raises(VaultUnavailableError) as caught,
    ):
        SecretProvider(client).get("partner-api-key")
    assert (caught.value.status, caught.value.retry_after) == (429, MAX_RETRY_AFTER)
    assert authorised(wire) == 1
    assert wire.sleeps == []
