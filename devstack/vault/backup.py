"""Secret backups as Key Vault makes them: an opaque blob only this vault can restore.

``POST /secrets/{name}/backup`` answers ``{"value": <base64url>}`` holding every version of
the secret; ``POST /secrets/restore`` with that value brings them all back, ids, attributes
and dates unchanged, and answers the secret's bundle without its value (REST reference,
"Backup Secret" and "Restore Secret"; the SDK's ``backup_secret`` and
``restore_secret_backup``; Azure/azure-sdk-for-js keyvault-secrets recordings
``can_restore_a_secret``, ``can_backup_a_secret_non_existing``,
``can_restore_a_secret_malformed_backup_bytes``). Key Vault's blob is protected so only
Key Vault can read it; here the versions are sealed with AES-GCM under a key of this
vault's own (``<state>/vault/backup.key``, or in memory with ``--memory``), so a blob
carries no readable value and a blob from another vault, or a damaged one, is refused as
Key Vault refuses it: 400 "Malformed backup blob". Restoring a name in use, active or
soft-deleted, is 409 ``Conflict`` with Key Vault's message.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from devstack.files import write_private
from devstack.vault.errors import ServiceError
from devstack.vault.store import SecretVersion

_MAGIC = b"devstack-vault-secret-backup-v1."
_NONCE = 12


def malformed() -> ServiceError:
    return ServiceError(
        400, "Malformed backup blob", "Backup blob contains invalid or corrupt version."
    )


def conflict(secret_id: str) -> ServiceError:
    return ServiceError(
        409,
        "Conflict",
        f"There was a conflict restoring the secret '{secret_id}'. This can happen if either: "
        "a second secret with the same name was created after the first secret was deleted; "
        "thus trying to restore a secret whose name is already in use. To fix this, rename the "
        "second secret to something else so that the restore works. The second probable cause "
        "of this exception is when multiple operations are performed in parallel against the "
        "secret. To avoid this error, perform operations against a secret in a sequential "
        "manner.",
    )


class BackupSealer:
    """Seals and opens backup blobs with this vault's key (kept in ``key_path`` if given)."""

    def __init__(self, key_path: Path | None = None) -> None:
        key: bytes | None = None
        if key_path is not None and key_path.exists():
            key = key_path.read_bytes()
        if key is None or len(key) != 32:
            key = AESGCM.generate_key(bit_length=256)
            if key_path is not None:
                write_private(key_path, key)
        self._aead = AESGCM(key)

    def seal(self, versions: list[SecretVersion]) -> str:
        """The backup value as the wire carries it: base64url without padding."""
        document = json.dumps({"versions": [asdict(v) for v in versions]}).encode()
        nonce = os.urandom(_NONCE)
        blob = _MAGIC + nonce + self._aead.encrypt(nonce, document, _MAGIC)
        return base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def open(self, value: Any) -> list[SecretVersion]:
        """The versions in a backup value; :func:`malformed` when it is not one of ours."""
        if not isinstance(value, str) or not value:
            raise ServiceError(400, "BadParameter", "The backup value is required.")
        try:
            blob = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            if not blob.startswith(_MAGIC):
                raise malformed()
            nonce = blob[len(_MAGIC) : len(_MAGIC) + _NONCE]
            sealed = blob[len(_MAGIC) + _NONCE :]
            document = json.loads(self._aead.decrypt(nonce, sealed, _MAGIC))
            versions = [SecretVersion(**item) for item in document["versions"]]
        except (binascii.Error, ValueError, InvalidTag, KeyError, TypeError):
            raise malformed() from None
        if not versions or len({v.name.lower() for v in versions}) != 1:
            raise malformed()
        return versions
