"""Rotation of the partner key: events in, a new key at the partner and in the vault out.

``_events`` reads what Key Vault publishes through Event Grid, ``_guard`` makes concurrent
rotations take turns, ``_partnerkeys`` speaks the partner's key-management API, ``_state``
keeps what the posture checker reports (never a key), ``_flow`` is the dual-key rotation
itself and ``_config`` its settings; ``_wiring`` builds them once per process, with the
vault and Storage clients of :mod:`shared.vault` and :mod:`shared.storage`. Only the
settings are imported with the package (the rotation app's start-up reads them); every other name
is imported when first used, so indexing the app loads neither azure-core nor the rest.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.queues import EVENTS_QUEUE
from shared.rotation._config import (
    RotationConfig,
    load_rotation_config,
)

if TYPE_CHECKING:
    from shared.rotation._events import (
        EXPIRED,
        NEAR_EXPIRY,
        ROTATING_EVENTS,
        SecretEvent,
        parse_event,
        parse_message,
    )
    from shared.rotation._flow import Outcome, Rotator, Trigger
    from shared.rotation._guard import LEASE_SECONDS, LeaseGuard
    from shared.rotation._partnerkeys import IssuedKey, PartnerKey, PartnerKeysClient
    from shared.rotation._state import RotationState, StateStore
    from shared.rotation._wiring import reset, rotation_credential, rotator, state_store
    from shared.rotation.errors import (
        EventError,
        GuardBusyError,
        GuardLostError,
        KeyManagementError,
        RotationError,
        StateDamagedError,
        VaultWriteError,
    )

__all__ = [
    "EVENTS_QUEUE",
    "EXPIRED",
    "LEASE_SECONDS",
    "NEAR_EXPIRY",
    "ROTATING_EVENTS",
    "EventError",
    "GuardBusyError",
    "GuardLostError",
    "IssuedKey",
    "KeyManagementError",
    "LeaseGuard",
    "Outcome",
    "PartnerKey",
    "PartnerKeysClient",
    "RotationConfig",
    "RotationError",
    "RotationState",
    "Rotator",
    "SecretEvent",
    "StateDamagedError",
    "StateStore",
    "Trigger",
    "VaultWriteError",
    "load_rotation_config",
    "parse_event",
    "parse_message",
    "reset",
    "rotation_credential",
    "rotator",
    "state_store",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            **dict.fromkeys(
                ("EXPIRED", "NEAR_EXPIRY", "ROTATING_EVENTS", "SecretEvent", "parse_event"),
                "._events",
            ),
            "parse_message": "._events",
            **dict.fromkeys(("Outcome", "Rotator", "Trigger"), "._flow"),
            **dict.fromkeys(("LEASE_SECONDS", "LeaseGuard"), "._guard"),
            **dict.fromkeys(("IssuedKey", "PartnerKey", "PartnerKeysClient"), "._partnerkeys"),
            **dict.fromkeys(("RotationState", "StateStore"), "._state"),
            **dict.fromkeys(("reset", "rotation_credential", "rotator", "state_store"), "._wiring"),
            **dict.fromkeys(
                (
                    "EventError",
                    "GuardBusyError",
                    "GuardLostError",
                    "KeyManagementError",
                    "RotationError",
                    "StateDamagedError",
                    "VaultWriteError",
                ),
                ".errors",
            ),
        },
    )
