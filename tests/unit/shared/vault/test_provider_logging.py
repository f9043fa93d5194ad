"""The Key Vault SDK's network trace never logs a value the provider fetches.

azure-core's ``NetworkTraceLoggingPolicy`` (azure/core/pipeline/policies/_universal.py,
installed in .venv) logs every request and response *body* at DEBUG when ``logging_enable``
is on, for the client (``SecretClient(..., logging_enable=True)``) or per operation; the
operation's option wins (``options.pop("logging_enable", self.enable_http_logger)``). A
``get_secret`` response body is the secret bundle with its ``value``, logged before the
provider has wrapped (and so registered) it: scrubbing cannot know it yet. The provider
passes ``logging_enable=False`` on every read; the positive control below shows the same
client, asked directly, does log the value.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.keyvault.secrets import SecretClient
from starlette.applications import Starlette

from devstack.tokens import TokenIssuer
from devstack.vault.api import create_vault_app
from devstack.vault.store import VaultStore
from shared.vault import SecretProvider
from tests.support.https_vault import IssuerCredential, https_vault, server_pem

__all__ = ["server_pem"]  # the fixture, used by name

TRACE_LOGGER = "azure.core.pipeline.policies._universal"


@pytest.fixture(scope="module")
def vault(server_pem: Path) -> Iterator[tuple[str, VaultStore, TokenIssuer]]:
    store, issuer = VaultStore(None), TokenIssuer.generate()

    def build(origin: str) -> Starlette:
        return create_vault_app(store=store, issuer=issuer, origin=origin)

    with https_vault(server_pem, build) as origin:
        yield origin, store, issuer


@pytest.fixture
def trace(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger=TRACE_LOGGER):
        yield caplog


def test_a_client_with_logging_enable_logs_no_value_the_provider_reads(
    vault: tuple[str, VaultStore, TokenIssuer], trace: pytest.LogCaptureFixture
) -> None:
    origin, store, issuer = vault
    name = f"partner-{secrets.token_hex(4)}"
    shown, hidden = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    client = SecretClient(origin, IssuerCredential(issuer), logging_enable=True)

    store.set_secret(name, shown)
    assert client.get_secret(name).value == shown  # the SDK as it comes: the body is logged
    assert shown in trace.text, "the network trace did not log the body: the control is void"

    store.set_secret(name, hidden)  # a rotation: the provider reads the new value
    trace.clear()
    provider = SecretProvider(client, ttl=0)
    assert provider.get(name).reveal() == hidden
    assert hidden not in trace.text
