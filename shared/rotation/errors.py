"""The rotation's exceptions, one family: a rotation that did not happen says why, safely.

Messages carry names, ids, versions and HTTP statuses, never a key.
"""

from __future__ import annotations

from shared.redaction import scrub


class RotationError(Exception):
    """Base class: the key was not rotated (the old key stays in use)."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


class EventError(RotationError, ValueError):
    """A queue message is not a Key Vault event this app understands."""


class GuardBusyError(RotationError):
    """Another rotation holds the lease for longer than this one waits."""


class GuardLostError(RotationError):
    """The lease expired under a rotation in progress: it stops before writing the vault."""


class PartnerKeyError(RotationError):
    """The partner's key-management API refused or failed a call."""


class VaultWriteError(RotationError):
    """The new key could not be stored; it was revoked at the partner (or is named for it)."""


class StateDamagedError(RotationError):
    """The rotation's state blob is not what the rotation writes (names the field, never the
    value): recorded as a rotation failure, so a damaged blob stops nothing silently."""
