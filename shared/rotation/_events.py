"""Key Vault's expiry events, as Event Grid writes them into a Storage queue.

Key Vault publishes ``Microsoft.KeyVault.SecretNearExpiry`` 30 days before the current
version of a secret expires and ``Microsoft.KeyVault.SecretExpired`` when it has
(learn.microsoft.com/azure/event-grid/event-schema-key-vault). ``data`` names the secret:
``Id``, ``VaultName``, ``ObjectType``, ``ObjectName``, ``Version``, ``NBF`` and ``EXP``
(seconds since 1970, nullable: the SDKs' ``KeyVaultSecretNearExpiryEventData`` types them
``float?``). The documented sample spells a key with a trailing blank (``"ObjectName "``),
a version with a leading one, and the dates as strings: keys and values are trimmed and
dates read from numbers or numeric strings.

How the message body arrives is not one thing. Event Grid's queue quickstart once said it
writes plain JSON, which the Functions queue trigger (``messageEncoding: base64``, its
default) cannot decode; later deliveries were reported base64-encoded
(MicrosoftDocs/azure-docs#69702, #102923; the Azure SDK's samples base64-decode them).
:func:`parse_message` takes either: JSON text (an object, or an array as Event Grid posts
to webhooks) or base64 of it. The rotation app in Azure sets the queue extension's
``messageEncoding`` to ``none`` so the host never rejects either form before this code sees
it (the decision is :data:`shared.queues.EVENTS_ENCODING`). Event Grid schema and
CloudEvents schema (``type``/``source``) are both read.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared import queues
from shared.rotation.errors import EventError

NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry"
EXPIRED = "Microsoft.KeyVault.SecretExpired"
ROTATING_EVENTS = frozenset({NEAR_EXPIRY, EXPIRED})
#: A Storage queue message holds at most this much; anything longer is not from Event Grid.
MAX_MESSAGE_BYTES = queues.MAX_MESSAGE_BYTES


@dataclass(frozen=True, slots=True)
class SecretEvent:
    """One Key Vault event about a secret version: names, version and dates, no value."""

    event_id: str
    event_type: str
    vault_name: str
    secret_name: str
    version: str
    expires_on: datetime | None
    not_before: datetime | None

    @property
    def rotates(self) -> bool:
        """Near expiry or expired: the events a rotation answers."""
        return self.event_type in ROTATING_EVENTS


def parse_message(body: bytes | str) -> list[SecretEvent]:
    """The Key Vault secret events in one queue message (JSON or base64 JSON).

    :raises EventError: not JSON (either way), not an event, or not about a secret.
    """
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_MESSAGE_BYTES:
        raise EventError(f"message of {len(raw)} bytes is larger than a queue message")
    text = raw.strip()
    if not text.startswith((b"{", b"[")):
        try:
            text = base64.b64decode(text, validate=True).strip()
        except (binascii.Error, ValueError):
            raise EventError("message is neither JSON nor base64-encoded JSON") from None
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise EventError("message is not valid JSON") from None
    items = document if isinstance(document, list) else [document]
    if not items:
        raise EventError("message holds no event")
    return [parse_event(item) for item in items]


def parse_event(item: object) -> SecretEvent:
    """One event object in the Event Grid or the CloudEvents schema."""
    if not isinstance(item, dict):
        raise EventError("an event must be a JSON object")
    event = _trimmed(item)
    event_type = _text(event.get("eventtype") or event.get("type"), "eventType")
    data = event.get("data")
    if not isinstance(data, dict):
        raise EventError(f"{event_type}: data must be a JSON object")
    fields = _trimmed(data)
    object_type = _text(fields.get("objecttype"), "data.ObjectType")
    if object_type.lower() != "secret":
        raise EventError(f"{event_type}: about a {object_type}, not a secret")
    return SecretEvent(
        event_id=_text(event.get("id"), "id"),
        event_type=event_type,
        vault_name=_text(fields.get("vaultname"), "data.VaultName"),
        secret_name=_text(fields.get("objectname") or event.get("subject"), "data.ObjectName"),
        version=_text(fields.get("version"), "data.Version"),
        expires_on=_epoch(fields.get("exp"), "data.EXP"),
        not_before=_epoch(fields.get("nbf"), "data.NBF"),
    )


def _trimmed(mapping: dict[str, Any]) -> dict[str, Any]:
    """Keys lower-cased and trimmed; string values trimmed."""
    return {
        str(k).strip().lower(): v.strip() if isinstance(v, str) else v for k, v in mapping.items()
    }


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise EventError(f"{name} must be a non-empty string")
    return value


def _epoch(value: object, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise EventError(f"{name} must be seconds since 1970")
    try:
        seconds = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        seconds = None
    if seconds is None or not 0 <= seconds < 253402300800:  # before year 10000
        raise EventError(f"{name} must be seconds since 1970")
    return datetime.fromtimestamp(seconds, UTC)
