"""The process's rotator, built once from the settings, with the rotation's own identity.

The rotation reads and writes the partner secret and the rotation's container with the
identity named by ``ROTATION_CLIENT_ID`` (in Azure the rotation app's user-assigned
identity, the only one holding Key Vault Secrets Officer on that secret; on the devstack
a second identity its endpoint serves). Without it, the app's own credential is used.
Clients are built on first use: the Functions host indexes the app without importing the
Key Vault or Storage SDKs.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING, Any

from shared.rotation.config import load_rotation_config

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from shared.rotation.flow import Rotator
    from shared.rotation.state import StateStore

#: Short retries: the whole rotation is retried by its trigger, not each call for minutes.
VAULT_RETRY: dict[str, Any] = {"retry_total": 3, "retry_backoff_factor": 0.5}
#: Storage's own policy (ExponentialRetry): waits about 1, 2 and 4 s, not 15 s and more.
STORAGE_RETRY: dict[str, Any] = {
    "retry_total": 3,
    "initial_backoff": 0,
    "increment_base": 2,
    "random_jitter_range": 1,
}
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
    from azure.keyvault.secrets import SecretClient
    from azure.storage.blob import ContainerClient

    from shared.rotation.flow import Rotator
    from shared.rotation.guard import LeaseGuard
    from shared.rotation.partnerkeys import PartnerKeysClient
    from shared.rotation.state import StateStore

    config = load_rotation_config()
    credential = rotation_credential()
    container = ContainerClient.from_container_url(
        config.state_container_url, credential=credential, **STORAGE_RETRY
    )
    return Rotator(
        config=config,
        vault=SecretClient(config.key_vault_uri, credential, **VAULT_RETRY),
        partner=PartnerKeysClient(
            config.partner_api_url,
            header_name=config.key_header,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            secret_name=config.secret_name,
        ),
        guard=lambda: LeaseGuard(container, config.secret_name),
        state=StateStore(container, config.secret_name),
        rotated_by=os.environ.get("WEBSITE_SITE_NAME") or "rotation",
    )


def state_store(credential: TokenCredential, container_url: str, secret_name: str) -> StateStore:
    """The state of ``secret_name`` read with ``credential`` (the posture checker's)."""
    from azure.storage.blob import ContainerClient

    from shared.rotation.state import StateStore

    container = ContainerClient.from_container_url(
        container_url, credential=credential, **STORAGE_RETRY
    )
    return StateStore(container, secret_name)


def reset() -> None:
    """Forget the rotator and its credential (tests)."""
    with _lock:
        rotator.cache_clear()
        rotation_credential.cache_clear()
