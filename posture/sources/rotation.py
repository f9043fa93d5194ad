"""The key rotation's state (docs/rotation.md): last rotation, next due, last failure.

Read from the rotation's state blob with the app's identity (Storage Blob Data Reader on
that one container); names, ids and times only. None when no rotation is configured. A
damaged blob reads as a failing rotation, the damage named as its last failure.
"""

from __future__ import annotations

from posture.context import CheckContext
from shared.rotation import RotationState
from shared.settings import PARTNER_API_KEY_SECRET_NAME, ROTATION_STATE_CONTAINER_URL


def rotation_state(context: CheckContext) -> RotationState | None:
    def build() -> RotationState | None:
        from shared.rotation import state_store

        url = context.value(ROTATION_STATE_CONTAINER_URL)
        if url is None:
            return None
        name = context.value(PARTNER_API_KEY_SECRET_NAME) or ""
        return state_store(context.credential, url, name).read_for_report(now=context.now)

    return context.memo("rotation-state", build)
