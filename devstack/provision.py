"""What the Bicep template creates in Azure, created on Azurite at start-up.

Keep these names in step with ``infra/`` (a test holds them together). The
app never creates its queues or containers itself: in Azure its identity has
data-plane roles only.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

QUEUES = ("jobs", "jobs-poison", "key-events")
CONTAINERS = ("jobs", "results", "posture", "rotation")


def provision_storage(
    *, blob_url: str, queue_url: str, credential: TokenCredential, ca_bundle: Path
) -> None:
    verify = str(ca_bundle)
    with QueueServiceClient(queue_url, credential, connection_verify=verify) as queues:
        for name in QUEUES:
            with contextlib.suppress(ResourceExistsError):
                queues.create_queue(name)
    with BlobServiceClient(blob_url, credential, connection_verify=verify) as blobs:
        for name in CONTAINERS:
            with contextlib.suppress(ResourceExistsError):
                blobs.create_container(name)
