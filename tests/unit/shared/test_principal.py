"""The caller principal header, the job message schema and the worker's computation."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from shared.jobs.messages import MAX_MESSAGE_BYTES, JobMessage, MessageSchemaError, decode_message
from shared.jobs.store import JobRecord, request_hash
from shared.principal import PrincipalError, principal_from_headers


def _header(claims: list[dict[str, str]], **extra: str) -> str:
    return base64.b64encode(json.dumps({"claims": claims, **extra}).encode()).decode()


def test_principal_roles_and_id() -> None:
    encoded = _header(
        [
            {"typ": "oid", "val": "abc"},
            {"typ": "roles", "val": "Jobs.Submit"},
            {"typ": "roles", "val": "Posture.Read"},
            {"typ": "name", "val": "Ada"},
        ],
        role_typ="roles",
        name_typ="name",
    )
    principal = principal_from_headers({"X-MS-CLIENT-PRINCIPAL": encoded})
    assert principal.object_id == "abc"
    assert principal.name == "Ada"
    assert principal.roles == {"Jobs.Submit", "Posture.Read"}
    assert not principal.has_role("Jobs.Admin")


def test_principal_id_header_wins_and_long_role_type_is_understood() -> None:
    role_uri = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    encoded = _header([{"typ": role_uri, "val": "Jobs.Admin"}], role_typ=role_uri)
    principal = principal_from_headers(
        {"x-ms-client-principal": encoded, "X-MS-CLIENT-PRINCIPAL-ID": "from-header"}
    )
    assert principal.object_id == "from-header"
    assert principal.has_role("Jobs.Admin")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-MS-CLIENT-PRINCIPAL": "%%%"},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[]").decode()},
        {"X-MS-CLIENT-PRINCIPAL": _header([{"typ": "roles", "val": "x"}])},
    ],
)
def test_missing_or_unreadable_principal(headers: dict[str, str]) -> None:
    with pytest.raises(PrincipalError):
        principal_from_headers(headers)


def test_message_round_trip() -> None:
    job_id = str(uuid.uuid4())
    decoded = decode_message(JobMessage(job_id, attempt=2).encode().encode())
    assert decoded == JobMessage(job_id, attempt=2)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"schema": "jobs.v0", "job_id": str(uuid.uuid4())}).encode(),
        json.dumps({"schema": "jobs.v1", "job_id": "not-a-uuid"}).encode(),
        json.dumps({"schema": "jobs.v1", "job_id": str(uuid.uuid4()), "attempt": 0}).encode(),
        b"x" * (MAX_MESSAGE_BYTES + 1),
    ],
)
def test_bad_messages_are_refused(body: bytes) -> None:
    with pytest.raises(MessageSchemaError):
        decode_message(body)


def test_request_hash_ignores_key_order_but_not_values() -> None:
    assert request_hash({"a": 1, "b": 2}) == request_hash({"b": 2, "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 2})


def test_public_view_hides_owner_and_internal_error() -> None:
    record = JobRecord(
        id="j",
        owner="secret-owner",
        status="failed",
        input={"text": "t"},
        request_hash="h",
        reason="processing failed",
        last_error="detail",
    )
    view = record.public()
    assert view["reason"] == "processing failed"
    assert "secret-owner" not in json.dumps(view)
    assert "detail" not in json.dumps(view)
