"""The process's rotator, built once from the settings, with the rotation's own identity.

The rotation reads and writes the partner secret and the rotation's container with the
identity named by ``ROTATION_CLIENT_ID`` (in Azure the rotation app's user-assigned
identity, the only one holding Key Vault Secrets Officer on that secret; on the devstack
a second identity its endpoint serves). Without it, the app's own credential is used.
Clients are built on first use (the Functions host indexes the app without importing the
Key Vault or Storage SDKs), by the one builder of each: :func:`shared.vault.secret_client`
and :func:`shared.storage.container_at`, so the rotation's clients wait and retry as the
app's do.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING

from shared.rotation._config import load_rotation_config

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from shared.rotation._flow import Rotator
    from shared.rotation._state import StateStore

_lock = threading.Lock()


@functools.cache
def rotation_credential() -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    from shared.identity import get_credential

    client_id = load_rotation_config().client_id
    if client_id is None:
        return get_credential()
    return DefaultAzureCredential(managed_identity_client_id=client_id)


@functools.cache
def rotator() -> Rotator:
    from shared.rotation._flow import Rotator
    from shared.rotation._guard import LeaseGuard
    from shared.rotation._partnerkeys import PartnerKeysClient
    from shared.rotation._state import StateStore
    from shared.storage import container_at
    from shared.vault import secret_client

    config = load_rotation_config()
    credential = rotation_credential()
    container = container_at(config.state_container_url, credential=credential)
    return Rotator(
        config=config,
        vault=secret_client(config.key_vault_uri, credential),
        partner=PartnerKeysClient(
            config.partner_api_url,
            header_name=config.key_header,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            deadline=config.deadline,
            secret_name=config.secret_name,
        ),
        guard=lambda: LeaseGuard(container, config.secret_name),
        state=StateStore(container, config.secret_name),
        rotated_by=os.environ.get("WEBSITE_SITE_NAME") or "rotation",
    )


def state_store(credential: TokenCredential, container_url: str, secret_name: str) -> StateStore:
    """The state of ``secret_name`` read with ``credential`` (the posture checker's)."""
    from shared.rotation._state import StateStore
    from shared.storage import container_at

    return StateStore(container_at(container_url, credential=credential), secret_name)


def reset() -> None:
    """Forget the rotator and its credential (tests)."""
    with _lock:
        rotator.cache_clear()
        rotation_credential.cache_clear()
