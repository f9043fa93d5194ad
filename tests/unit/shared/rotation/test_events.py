"""Key Vault events as Event Grid writes them to a queue: JSON or base64 JSON, both schemas.

Shapes from learn.microsoft.com/azure/event-grid/event-schema-key-vault (its sample spells
``"ObjectName "`` with a trailing blank, a version with a leading blank and the dates as
strings; the SDKs type NBF/EXP ``float?``); encodings per MicrosoftDocs/azure-docs#69702
(plain text) and #102923 (base64).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.rotation import EXPIRED, NEAR_EXPIRY, parse_message
from shared.rotation.errors import EventError

#: The sample's version id is a 32-hex string; one of the same shape, of low entropy.
VERSION = uuid.UUID(int=0xEE059B2B).hex
NAME = "newsecret"
DOC_SAMPLE: dict[str, Any] = {
    "id": "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
    "topic": "/subscriptions/s/resourceGroups/sample-rg/providers/Microsoft.KeyVault/vaults/kv",
    "subject": "newsecret",
    "eventType": NEAR_EXPIRY,
    "eventTime": "2019-07-25T01:08:33.1036736Z",
    "data": {
        "Id": f"https://sample-kv.vault.azure.net/secrets/{NAME}/{VERSION}",
        "VaultName": "sample-kv",
        "ObjectType": "Secret",
        "ObjectName ": NAME,
        "Version": f" {VERSION}",
        "NBF": "1559081980",
        "EXP": "1559082102",
    },
    "dataVersion": "1",
    "metadataVersion": "1",
}


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(DOC_SAMPLE).encode(),
        json.dumps([DOC_SAMPLE]).encode(),
        base64.b64encode(json.dumps(DOC_SAMPLE).encode()),
        base64.b64encode(json.dumps(DOC_SAMPLE).encode()).decode(),
    ],
    ids=["json", "json array", "base64", "base64 text"],
)
def test_the_documented_event_parses_in_every_encoding(body: bytes | str) -> None:
    (event,) = parse_message(body)
    assert event.secret_name == NAME
    assert event.version == VERSION
    assert event.vault_name == "sample-kv"
    assert event.expires_on == datetime.fromtimestamp(1559082102, UTC)
    assert event.not_before == datetime.fromtimestamp(1559081980, UTC)
    assert event.rotates


def test_cloud_events_schema_and_numeric_or_null_dates() -> None:
    cloud = {
        "id": "1",
        "source": "/subscriptions/s/.../vaults/kv",
        "subject": "partner-api-key",
        "type": EXPIRED,
        "time": "2026-01-01T00:00:00Z",
        "specversion": "1.0",
        "data": {
            "Id": "https://kv/secrets/partner-api-key/abc",
            "VaultName": "kv",
            "ObjectType": "Secret",
            "ObjectName": "partner-api-key",
            "Version": "abc",
            "NBF": None,
            "EXP": 1767225600.0,
        },
    }
    (event,) = parse_message(json.dumps(cloud))
    assert event.event_type == EXPIRED
    assert event.not_before is None
    assert event.expires_on == datetime(2026, 1, 1, tzinfo=UTC)


def test_other_event_types_parse_but_do_not_rotate() -> None:
    other = {**DOC_SAMPLE, "eventType": "Microsoft.KeyVault.SecretNewVersionCreated"}
    (event,) = parse_message(json.dumps(other))
    assert not event.rotates


def with_data(**changes: object) -> bytes:
    data = {**DOC_SAMPLE["data"], **changes}
    return json.dumps({**DOC_SAMPLE, "data": data}).encode()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json, not base64!", "neither JSON nor base64"),
        (base64.b64encode(b"plain words"), "not valid JSON"),
        (b"[]", "holds no event"),
        (b"[1]", "must be a JSON object"),
        (json.dumps({**DOC_SAMPLE, "data": "x"}).encode(), "data must be a JSON object"),
        (
            json.dumps(
                {**DOC_SAMPLE, "data": {**DOC_SAMPLE["data"], "ObjectType": "Key"}}
            ).encode(),
            "not a secret",
        ),
        (
            json.dumps({**DOC_SAMPLE, "data": {**DOC_SAMPLE["data"], "EXP": "soon"}}).encode(),
            "data.EXP",
        ),
        (
            json.dumps({**DOC_SAMPLE, "data": {**DOC_SAMPLE["data"], "EXP": True}}).encode(),
            "data.EXP",
        ),
        (json.dumps({k: v for k, v in DOC_SAMPLE.items() if k != "id"}).encode(), "id must"),
        (b"[" * 100_000, "larger than a queue message"),
        (b"[" * 10_000, "not valid JSON"),
    ],
    ids=[
        "garbage",
        "base64 of text",
        "empty array",
        "not an object",
        "data not an object",
        "a key's event",
        "bad date",
        "boolean date",
        "no id",
        "too long",
        "too deep",
    ],
)
def test_what_is_not_a_secret_event_is_refused_naming_why(body: bytes, problem: str) -> None:
    with pytest.raises(EventError, match=problem):
        parse_message(body)
