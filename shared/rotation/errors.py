"""The rotation's exceptions, one family: a rotation that did not happen says why, safely.

Messages carry names, ids, versions and HTTP statuses, never a key. A rotation runs on a
queue message or a timer, not for an HTTP caller; each failure is raised so the trigger
tries again, and recorded (by class name) in the state the posture checker reads.
"""

from __future__ import annotations

from shared.errors import AppError
from shared.redaction import scrub


class RotationError(AppError):
    """Base class: the key was not rotated (the old key stays in use)."""

    code = "rotation_failed"

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


class EventError(RotationError, ValueError):
    """A queue message is not a Key Vault event this app understands."""

    code = "invalid_event"


class GuardBusyError(RotationError):
    """Another rotation holds the lease for longer than this one waits."""

    code = "rotation_busy"
    http_status = 503
    transient = True


class GuardLostError(RotationError):
    """The lease expired under a rotation in progress: it stops before writing the vault."""

    code = "rotation_lease_lost"
    http_status = 503
    transient = True


class KeyManagementError(RotationError):
    """The partner's key-management API refused or failed a call."""

    code = "partner_key_management_failed"


class VaultWriteError(RotationError):
    """The new key could not be stored; it was revoked at the partner (or is named for it)."""

    code = "vault_write_failed"


class StateDamagedError(RotationError):
    """The rotation's state blob is not what the rotation writes (names the field, never the
    value): recorded as a rotation failure, so a damaged blob stops nothing silently."""

    code = "rotation_state_damaged"
