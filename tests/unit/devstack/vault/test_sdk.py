"""The real ``SecretClient``, with its default options, against the devstack vault over HTTPS.

The server runs under uvicorn with a certificate from a CA made here; the CA reaches the SDK
through ``REQUESTS_CA_BUNDLE``, as in the devstack. The credential mints from a local
``TokenIssuer`` (no identity endpoint needed) and records what the SDK asked it for, so the
tests show the challenge, not a configured scope, chose the token's audience.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
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
from tests.support.servers import Switch, serve


class IssuerCredential:
    """A ``TokenCredential`` minting app-identity tokens, optionally for a fixed audience."""

    def __init__(self, issuer: TokenIssuer, *, audience: str | None = None, lifetime: int = 3600):
        self.issuer, self.audience, self.lifetime = issuer, audience, lifetime
        self.requests: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self.tokens: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requests.append((scopes, kwargs))
        audience = self.audience or scopes[0].removesuffix("/.default")
        minted = self.issuer.mint(audience, object_id="app", app_id="app", lifetime=self.lifetime)
        self.tokens.append(minted.token)
        return AccessToken(minted.token, minted.expires_on)


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture(scope="module")
def server_pem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A server certificate for 127.0.0.1 and the CA bundle the SDK trusts via the env."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(folder / "server.pem")
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REQUESTS_CA_BUNDLE", str(folder / "ca.pem"))
        yield folder / "server.pem"


@contextlib.contextmanager
def https_vault(pem: Path, build: Callable[[str], Starlette]) -> Iterator[str]:
    """Serve ``build(origin)`` over HTTPS on a free loopback port; yield the origin."""
    switch = Switch()
    with serve(switch, certfile=pem) as (origin, _):
        switch.app = build(origin)
        yield origin


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
