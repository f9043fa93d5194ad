"""The partner key in the local vault: there at every start, whatever was done to it.

A new state directory gets a key the partner stub issues (:mod:`devstack.partner.keys`),
tagged with its key id as the rotation tags keys and dated like a well-kept secret (so the
posture checker finds a clean stack). A key someone soft-deleted
(``SecretClient.begin_delete_secret``, ``az keyvault secret delete``) is recovered, as
``az keyvault secret recover`` would: a soft-deleted name cannot be set again until it is
recovered or purged (Key Vault answers 409 ``ObjectIsDeletedButRecoverable``), and without
the key the partner refuses every job. The recovered key keeps its value, versions and
attributes; the start says so in one line.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from devstack.errors import StackError
from devstack.partner.keys import KeyRegistry
from devstack.vault.errors import ServiceError
from devstack.vault.store import VaultStore

logger = logging.getLogger("devstack.vault")

KEY_LIFETIME_DAYS = 90


def ensure_partner_key(store: VaultStore, name: str, *, keys: KeyRegistry) -> None:
    """Recover a soft-deleted key, have ``keys`` issue a missing or disabled one; never log
    a value."""
    try:
        store.get_deleted(name)
    except ServiceError:
        pass  # not deleted
    else:
        store.recover(name)
        logger.warning(
            "vault: secret %r was soft-deleted; recovered it (as `az keyvault secret recover` "
            "does) so the partner accepts the app's calls again",
            name,
        )
    if store.current_value(name) is None:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=KEY_LIFETIME_DAYS)
        record, value = keys.issue(name="initial")
        tags = {"partner-key-id": record.key_id}
        store.set_secret(name, value, expires_on=expires, tags=tags)
        logger.info("vault: the partner issued the first value of secret %r", name)


def open_vault(path: Path | None) -> VaultStore:
    """The vault's store; a damaged file stops the start with the way out."""
    try:
        return VaultStore(path)
    except ValueError as exc:
        raise StackError(
            f"{exc}: move it away to start with an empty vault and a new partner key "
            f"(the secrets in it are lost), e.g. `mv {path} {path}.damaged`"
        ) from None


def seed_partner_key(store: VaultStore, name: str, *, keys: KeyRegistry, source: Path) -> None:
    """:func:`ensure_partner_key`, with a name Key Vault refuses named as the setting to
    correct in ``source`` (the settings file)."""
    try:
        ensure_partner_key(store, name, keys=keys)
    except ServiceError as exc:
        raise StackError(
            f"app setting PARTNER_API_KEY_SECRET_NAME={name!r}: {exc.message} "
            f"Correct it in {source}"
        ) from None
