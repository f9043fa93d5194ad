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
