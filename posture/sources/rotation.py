"""The key rotation's state (docs/rotation.md): last rotation, next due, last failure.

Read from the rotation's state blob with the app's identity (Storage Blob Data Reader on
that one container); names, ids and times only. None when no rotation is configured. The
container client is built here, not by the rotation's wiring, so it takes the run's client
options (timeouts, a private CA) like every other source.
"""

from __future__ import annotations

from posture.context import CheckContext
from shared.rotation import RotationState
from shared.settings import PARTNER_API_KEY_SECRET_NAME, ROTATION_STATE_CONTAINER_URL


def rotation_state(context: CheckContext) -> RotationState | None:
    def build() -> RotationState | None:
        from azure.storage.blob import ContainerClient

        from shared.rotation import StateStore

        url = context.value(ROTATION_STATE_CONTAINER_URL)
        if url is None:
            return None
        name = context.value(PARTNER_API_KEY_SECRET_NAME) or ""
        container = ContainerClient.from_container_url(
            url,
            credential=context.credential,
            retry_total=1,
            connection_timeout=context.network_timeout,
            read_timeout=context.network_timeout,
            **context.client_options,
        )
        return StateStore(container, name).read()

    return context.memo("rotation-state", build)
