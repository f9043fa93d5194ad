"""Backup and restore through the real ``SecretClient`` (``backup_secret``,
``restore_secret_backup``), answered as Key Vault answers them.

Sources: the REST reference ("Backup Secret": ``POST /secrets/{name}/backup`` answers
``{"value": base64url}``; "Restore Secret": ``POST /secrets/restore`` with that value answers
the secret's bundle); the Azure/azure-sdk-for-js keyvault-secrets recordings
``can_restore_a_secret`` (the restore brings back the same id and dates, without a value; a
name in use is 409 ``Conflict`` "There was a conflict restoring the secret ..."),
``can_backup_a_secret_non_existing`` (404 ``SecretNotFound``) and
``can_restore_a_secret_malformed_backup_bytes`` (400 "Malformed backup blob", "Backup blob
contains invalid or corrupt version.").
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient
from starlette.applications import Starlette

from devstack.tokens import TokenIssuer
from devstack.vault.api import create_vault_app
from devstack.vault.backup import BackupSealer
from devstack.vault.store import VaultStore
from tests.support.servers import Switch, serve


class Credential:
    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        minted = self.issuer.mint(scopes[0].removesuffix("/.default"), object_id="a", app_id="a")
        return AccessToken(minted.token, minted.expires_on)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    leaf.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REQUESTS_CA_BUNDLE", str(folder / "ca.pem"))
        yield folder / "server.pem"


@pytest.fixture(scope="module")
def switch(tls: Path) -> Iterator[tuple[Switch, str, int]]:
    routed = Switch()
    with serve(routed, certfile=tls) as (origin, port):
        yield routed, origin, port


def vault(switch: tuple[Switch, str, int], store: VaultStore, sealer: BackupSealer) -> str:
    routed, origin, _ = switch
    app: Starlette = create_vault_app(store=store, issuer=ISSUER, origin=origin, backups=sealer)
    routed.app = app
    return origin


ISSUER = TokenIssuer.generate()


@pytest.fixture
def client(switch: tuple[Switch, str, int], tmp_path: Path) -> Iterator[SecretClient]:
    origin = vault(switch, VaultStore(None), BackupSealer(tmp_path / "backup.key"))
    with SecretClient(origin, Credential(ISSUER)) as secret_client:
        yield secret_client


def test_backup_delete_purge_restore_brings_every_version_back(client: SecretClient) -> None:
    name, first, second = "backed-up", secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    client.set_secret(name, first)
    latest = client.set_secret(name, second, content_type="text/plain", tags={"k": "v"})
    blob = client.backup_secret(name)
    assert first.encode() not in blob
    assert second.encode() not in blob  # sealed: no value can be read from it
    client.begin_delete_secret(name).wait()
    with pytest.raises(ResourceExistsError) as refused:
        client.restore_secret_backup(blob)  # soft-deleted: the name is still in use
    assert refused.value.status_code == 409
    assert "There was a conflict restoring the secret" in str(refused.value)
    client.purge_deleted_secret(name)
    restored = client.restore_secret_backup(blob)
    assert restored.id == latest.id
    assert restored.created_on == latest.properties.created_on
    assert restored.content_type == "text/plain"
    assert restored.tags == {"k": "v"}
    assert client.get_secret(name).value == second
    versions = {p.version for p in client.list_properties_of_secret_versions(name)}
    assert len(versions) == 2


def test_an_active_name_cannot_be_restored_over(client: SecretClient) -> None:
    client.set_secret("in-use", "one")
    blob = client.backup_secret("in-use")
    with pytest.raises(ResourceExistsError):
        client.restore_secret_backup(blob)


def test_backing_up_an_unknown_secret_is_not_found(client: SecretClient) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        client.backup_secret("never-set")
    assert missing.value.error is not None
    assert missing.value.error.code == "SecretNotFound"


def test_a_foreign_or_damaged_blob_is_malformed(
    client: SecretClient, switch: tuple[Switch, str, int], tmp_path: Path
) -> None:
    client.set_secret("theirs", "x")
    blob = client.backup_secret("theirs")
    for bad in (blob[:-3] + b"abc", b"not a backup at all"):
        with pytest.raises(HttpResponseError) as refused:
            client.restore_secret_backup(bad)
        assert refused.value.status_code == 400
        assert refused.value.error is not None
        assert refused.value.error.code == "Malformed backup blob"
        assert "Backup blob contains invalid or corrupt version." in str(refused.value)
    other = vault(switch, VaultStore(None), BackupSealer(tmp_path / "other.key"))
    with SecretClient(other, Credential(ISSUER)) as elsewhere, pytest.raises(HttpResponseError):
        elsewhere.restore_secret_backup(blob)  # another vault's key cannot open it


def test_the_key_is_kept_so_a_restart_can_restore(
    switch: tuple[Switch, str, int], tmp_path: Path
) -> None:
    key = tmp_path / "backup.key"
    origin = vault(switch, VaultStore(None), BackupSealer(key))
    with SecretClient(origin, Credential(ISSUER)) as before:
        before.set_secret("kept", "v")
        blob = before.backup_secret("kept")
    assert key.stat().st_mode & 0o077 == 0
    origin = vault(switch, VaultStore(None), BackupSealer(key))  # the stack started again
    with SecretClient(origin, Credential(ISSUER)) as after:
        assert after.restore_secret_backup(blob).name == "kept"


def test_localhost_fails_the_sdks_check_and_the_vault_says_why(
    switch: tuple[Switch, str, int], caplog: pytest.LogCaptureFixture
) -> None:
    origin = vault(switch, VaultStore(None), BackupSealer(None))
    port = switch[2]
    with (
        SecretClient(f"https://localhost:{port}", Credential(ISSUER)) as client,
        pytest.raises(ValueError, match="does not match the requested domain"),
    ):
        client.get_secret("anything")
    assert f"a client called the vault as https://localhost:{port}" in caplog.text
    assert f"call it as {origin}/ instead" in caplog.text
