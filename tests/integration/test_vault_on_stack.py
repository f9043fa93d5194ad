"""SecretClient with default options against the devstack vault."""

from __future__ import annotations

import secrets
import uuid

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

from devstack.runner import RunningStack
from devstack.tokens import APP_IDENTITY_OBJECT_ID
from tests.support.credentials import StaticToken


def test_secret_client_reads_and_writes_with_default_options(stack: RunningStack) -> None:
    name = f"it-{uuid.uuid4().hex[:10]}"
    value = secrets.token_urlsafe(24)
    with stack.as_app():
        client = SecretClient(stack.endpoints["vault"], DefaultAzureCredential())
        created = client.set_secret(name, value)
        assert client.get_secret(name).value == value
        assert client.get_secret(name, created.properties.version).value == value
        names = {p.name for p in client.list_properties_of_secrets()}
    assert name in names
    assert stack.endpoints["partner_secret_name"] in names


def test_storage_audience_token_is_refused_by_the_vault(stack: RunningStack) -> None:
    token = (
        stack.issuer()
        .mint("https://storage.azure.com", object_id=APP_IDENTITY_OBJECT_ID, app_id="x")
        .token
    )
    with stack.as_app():
        client = SecretClient(stack.endpoints["vault"], StaticToken(token))
        with pytest.raises(ClientAuthenticationError):
            client.get_secret(stack.endpoints["partner_secret_name"])


def test_disabled_secret_is_refused(stack: RunningStack) -> None:
    name = f"it-{uuid.uuid4().hex[:10]}"
    with stack.as_app():
        client = SecretClient(stack.endpoints["vault"], DefaultAzureCredential())
        client.set_secret(name, secrets.token_urlsafe(24), enabled=False)
        with pytest.raises(HttpResponseError) as refused:
            client.get_secret(name)
    assert refused.value.status_code == 403
