"""The partner key is there at every start: a soft-deleted one is recovered with its value
(a soft-deleted name cannot be set again: Key Vault answers 409
``ObjectIsDeletedButRecoverable``, Azure/azure-sdk-for-net#26027 and the Key Vault
soft-delete overview), a missing or disabled one is generated."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.partner.keys import KeyRegistry
from devstack.partnerkey import ensure_partner_key
from devstack.vault.errors import ServiceError
from devstack.vault.store import VaultStore

NAME = "partner-api-key"


def test_a_soft_deleted_key_is_recovered_with_its_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "secrets.json"
    first = VaultStore(path)
    ensure_partner_key(first, NAME, keys=KeyRegistry(None))
    value = first.current_value(NAME)
    first.delete(NAME)
    again = VaultStore(path)  # the next start reads the soft-deleted key from disk
    with pytest.raises(ServiceError) as refused:
        again.set_secret(NAME, "anything")  # what the start did before: a raw 409
    assert refused.value.inner == "ObjectIsDeletedButRecoverable"
    ensure_partner_key(again, NAME, keys=KeyRegistry(None))
    assert again.current_value(NAME) == value
    assert len(again.list_versions(NAME)) == 1
    assert f"secret {NAME!r} was soft-deleted; recovered it" in caplog.text
    assert str(value) not in caplog.text


def test_a_missing_key_is_generated_and_a_disabled_one_replaced() -> None:
    store = VaultStore(None)
    ensure_partner_key(store, NAME, keys=KeyRegistry(None))
    generated = store.current_value(NAME)
    assert generated
    store.update_properties(NAME, None, {"enabled": False})
    ensure_partner_key(store, NAME, keys=KeyRegistry(None))
    assert store.current_value(NAME) not in (None, generated)
    assert store.get_version(NAME).expires_on is not None


def test_a_generated_key_is_one_the_partner_issued_and_tagged_with_its_id() -> None:
    """The rotation finds the current key's id in the ``partner-key-id`` tag
    (docs/rotation.md), so the first key carries it too."""
    keys = KeyRegistry(None)
    store = VaultStore(None)
    ensure_partner_key(store, NAME, keys=keys)
    value = store.current_value(NAME)
    record = keys.caller(value)
    assert record is not None
    assert store.get_version(NAME).tags == {"partner-key-id": record.key_id}
