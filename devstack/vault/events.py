"""Key Vault's expiry events, delivered into the Azurite queue as Event Grid delivers them.

In Azure the vault publishes ``Microsoft.KeyVault.SecretNearExpiry`` when the current
version of a secret comes within 30 days of its expiry and ``Microsoft.KeyVault.SecretExpired``
when it expires (learn.microsoft.com/azure/event-grid/event-schema-key-vault); the rotation
app's Event Grid system topic filters them to the partner secret and writes each, one event
per message, into the ``key-events`` queue with its managed identity (infra/modules/
rotation.bicep). This module plays both parts: every ``interval`` seconds it looks at the
latest version of the watched secret and sends each event once per (version, type), in the
Event Grid schema (``id``, ``topic``, ``subject``, ``eventType``, ``eventTime``, ``data``
with ``Id``, ``VaultName``, ``ObjectType``, ``ObjectName``, ``Version``, ``NBF``, ``EXP``,
``dataVersion``, ``metadataVersion``), base64-encoded as deliveries were reported to be
(the app reads plain JSON too: :mod:`shared.rotation._events`). A send that fails (Azurite
stopped) is tried again on the next tick, as Event Grid retries a delivery.

To watch a rotation now, move the current version's dates back so its expiry falls in
the window: ``POST /devstack/secrets/<name>/backdate?days=85&expiry=true`` on the vault, or
``python -m devstack rotate-rehearsal`` (docs/rotation.md).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from devstack.vault.store import VaultStore

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

logger = logging.getLogger("devstack.vault")

NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry"
EXPIRED = "Microsoft.KeyVault.SecretExpired"
NEAR_EXPIRY_DAYS = 30
EVENTS_QUEUE = "key-events"
TOPIC = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devstack"
    "/providers/Microsoft.KeyVault/vaults/devstack"
)


class VaultEvents:
    """Emits the expiry events of one secret's latest version, once each, through ``send``.

    ``tick(send)`` delivers through ``send`` (one queue message, the base64 text; it raises
    when it cannot).
    """

    def __init__(
        self,
        store: VaultStore,
        *,
        secret_name: str,
        origin: str,
        vault_name: str = "devstack",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._name, self._origin = store, secret_name, origin.rstrip("/")
        self._vault_name, self._clock = vault_name, clock
        self._sent: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.delivered = 0

    def due(self) -> list[tuple[tuple[str, str], dict[str, object]]]:
        """((version, type), event) the latest version calls for now, not delivered yet."""
        try:
            latest = self._store.list_versions(self._name)[-1]
        except Exception:  # no such secret (yet), or deleted: nothing to say
            return []
        if latest.expires_on is None or not latest.enabled:
            return []
        now = self._clock()
        kinds = []
        if latest.expires_on - now <= NEAR_EXPIRY_DAYS * 86400:
            kinds.append(NEAR_EXPIRY)
        if latest.expires_on <= now:
            kinds.append(EXPIRED)
        with self._lock:
            pending = [k for k in kinds if (latest.version, k) not in self._sent]
        return [
            ((latest.version, kind), self._event(kind, latest.name, latest.version, latest))
            for kind in pending
        ]

    def tick(self, send: Callable[[str], object]) -> int:
        """Deliver what is due; return how many were delivered (the rest wait for the next)."""
        delivered = 0
        for sent, event in self.due():
            body = base64.b64encode(json.dumps(event).encode()).decode()
            try:
                send(body)
            except Exception as exc:  # Azurite stopped: Event Grid retries, so do we
                logger.warning("vault event not delivered yet (%s)", type(exc).__name__)
                break
            with self._lock:
                self._sent.add(sent)
                self.delivered += 1
            delivered += 1
            logger.info("vault event %s for %s delivered", event["eventType"], event["subject"])
        return delivered

    def run(
        self, send: Callable[[str], object], stop: threading.Event, interval: float = 1.0
    ) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set (a thread of the stack)."""
        while not stop.wait(interval):
            try:
                self.tick(send)
            except Exception:  # the emitter must outlive any one bad tick
                logger.exception("vault events: tick failed")

    def _event(self, kind: str, name: str, version: str, latest: object) -> dict[str, object]:
        nbf = getattr(latest, "not_before", None)
        exp = getattr(latest, "expires_on", None)
        return {
            "id": str(uuid.uuid4()),
            "topic": TOPIC,
            "subject": name,
            "eventType": kind,
            "eventTime": datetime.fromtimestamp(self._clock(), UTC).isoformat(),
            "data": {
                "Id": f"{self._origin}/secrets/{name}/{version}",
                "VaultName": self._vault_name,
                "ObjectType": "Secret",
                "ObjectName": name,
                "Version": version,
                "NBF": nbf,
                "EXP": exp,
            },
            "dataVersion": "1",
            "metadataVersion": "1",
        }


def deliver_in_background(
    events: VaultEvents,
    *,
    queue_url: str,
    credential: TokenCredential,
    ca_bundle: Path,
    stop: threading.Event,
) -> threading.Thread:
    """Run ``events`` in a daemon thread, delivering into ``key-events`` on ``queue_url``."""
    from azure.storage.queue import QueueClient

    client = QueueClient(
        queue_url,
        EVENTS_QUEUE,
        credential=credential,
        connection_verify=str(ca_bundle),
        retry_total=0,  # the next tick is the retry
    )
    thread = threading.Thread(
        target=events.run, args=(client.send_message, stop), name="vault-events", daemon=True
    )
    thread.start()
    return thread
