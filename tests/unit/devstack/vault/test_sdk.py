"""The real ``SecretClient``, with its default options, against the devstack vault over HTTPS.

The server runs under uvicorn with a certificate from a CA made here; the CA reaches the SDK
through ``REQUESTS_CA_BUNDLE``, as in the devstack. The credential mints from a local
``TokenIssuer`` (no identity endpoint needed) and records what the SDK asked it for, so the
tests show the challenge, not a configured scope, chose the token's audience.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.keyvault.secrets import SecretClient
from starlette.applications import Starlette

from devstack.tokens import TokenIssuer
from devstack.vault.api import challenge_resource, create_vault_app
from devstack.vault.store import VaultStore
from tests.support.https_vault import IssuerCredential, https_vault, server_pem

__all__ = ["server_pem"]  # the fixture, used by name


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture(scope="module")
def store() -> VaultStore:
    return VaultStore(None)


@pytest.fixture(scope="module")
def vault(server_pem: Path, store: VaultStore, issuer: TokenIssuer) -> Iterator[str]:
    def build(origin: str) -> Starlette:
        return create_vault_app(store=store, issuer=issuer, origin=origin)

    with https_vault(server_pem, build) as origin:
        yield origin


@pytest.fixture
def credential(issuer: TokenIssuer) -> IssuerCredential:
    return IssuerCredential(issuer)


@pytest.fixture
def client(vault: str, credential: IssuerCredential) -> Iterator[SecretClient]:
    with SecretClient(vault, credential) as secret_client:
        yield secret_client


def name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def value() -> str:
    return secrets.token_urlsafe(24)


def test_the_challenge_decides_the_token_audience(
    vault: str, client: SecretClient, credential: IssuerCredential, issuer: TokenIssuer
) -> None:
    secret = value()
    client.set_secret(name("challenge"), secret)
    scopes, options = credential.requests[0]
    assert scopes == (challenge_resource(vault) + "/.default",)
    assert options["tenant_id"] == issuer.tenant_id


def test_set_then_get_latest_and_by_version(client: SecretClient) -> None:
    key, first, second = name("partner"), value(), value()
    created = client.set_secret(key, first, content_type="text/plain", tags={"app": "jobs"})
    newer = client.set_secret(key, second)
    assert client.get_secret(key).value == second
    assert client.get_secret(key).properties.version == newer.properties.version
    old = client.get_secret(key, created.properties.version)
    assert old.value == first
    assert old.properties.content_type == "text/plain"
    assert old.properties.tags == {"app": "jobs"}
    assert old.properties.recovery_level == "Recoverable+Purgeable"
    assert old.properties.created_on is not None


def test_listing_pages_through_the_next_links(client: SecretClient, store: VaultStore) -> None:
    created = {name("listed") for _ in range(27)}
    for key in created:
        store.set_secret(key, value())
    total = len(store.list_latest())
    default_pages = [list(page) for page in client.list_properties_of_secrets().by_page()]
    assert [len(p) for p in default_pages[:-1]] == [25] * (len(default_pages) - 1)
    assert sum(len(p) for p in default_pages) == total
    small_pages = [list(p) for p in client.list_properties_of_secrets(max_page_size=4).by_page()]
    assert len(small_pages) == -(-total // 4)
    listed = {props.name for page in small_pages for props in page}
    assert created <= listed


def test_listing_versions(client: SecretClient) -> None:
    key = name("versions")
    versions = [client.set_secret(key, value()).properties.version for _ in range(3)]
    listed = client.list_properties_of_secret_versions(key, max_page_size=2)
    assert [props.version for props in listed] == versions


def test_a_disabled_secret_cannot_be_read(client: SecretClient) -> None:
    key = name("disabled")
    client.set_secret(key, value())
    updated = client.update_secret_properties(key, enabled=False)
    assert updated.enabled is False
    with pytest.raises(HttpResponseError) as caught:
        client.get_secret(key)
    assert caught.value.status_code == 403
    assert caught.value.error is not None
    assert caught.value.error.code == "Forbidden"
    client.update_secret_properties(key, enabled=True)
    assert client.get_secret(key).properties.enabled is True


def test_soft_delete_recover_and_purge(client: SecretClient) -> None:
    key, secret = name("deleted"), value()
    client.set_secret(key, secret)
    deleted = client.begin_delete_secret(key)
    deleted.wait()
    assert deleted.result().recovery_id is not None
    assert client.get_deleted_secret(key).name == key
    assert key in {d.name for d in client.list_deleted_secrets()}
    with pytest.raises(ResourceNotFoundError):
        client.get_secret(key)
    with pytest.raises(ResourceExistsError):
        client.set_secret(key, value())

    client.begin_recover_deleted_secret(key).wait()
    assert client.get_secret(key).value == secret

    client.begin_delete_secret(key).wait()
    client.purge_deleted_secret(key)
    with pytest.raises(ResourceNotFoundError):
        client.get_deleted_secret(key)


def test_an_unknown_secret_is_not_found(client: SecretClient) -> None:
    with pytest.raises(ResourceNotFoundError):
        client.get_secret(name("missing"))


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"audience": "https://storage.azure.com"}, "AKV10022: Invalid audience"),
        ({"lifetime": -60}, "[TokenExpired]"),
    ],
)
def test_a_token_the_vault_refuses_is_an_authentication_error(
    vault: str, issuer: TokenIssuer, options: dict[str, Any], expected: str
) -> None:
    credential = IssuerCredential(issuer, **options)
    with (
        SecretClient(vault, credential) as refused,
        pytest.raises(ClientAuthenticationError) as caught,
    ):
        refused.get_secret("anything")
    assert expected in str(caught.value)
    assert credential.tokens
    assert all(token not in str(caught.value) for token in credential.tokens)


def test_naming_its_own_origin_as_resource_fails_the_sdks_challenge_check(
    server_pem: Path, issuer: TokenIssuer
) -> None:
    """Why :func:`challenge_resource` exists: the SDK wants the vault host to be a subdomain."""

    def build(origin: str) -> Starlette:
        return create_vault_app(
            store=VaultStore(None), issuer=issuer, origin=origin, resource=origin
        )

    with (
        https_vault(server_pem, build) as origin,
        SecretClient(origin, IssuerCredential(issuer)) as naive,
        pytest.raises(ValueError, match="does not match the requested domain"),
    ):
        naive.get_secret("anything")
