"""blueprints.jobs: the job body is validated before anything else happens; a store that
cannot settle a job's state answers the app's JSON error.

The integration tests (tests/integration/test_bad_input.py) send the same kinds of
bad bodies through the host; these hold every branch of the validation itself, with
the status, code and target each one answers.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError

import blueprints.jobs
import shared.storage
from blueprints.contracts.jobs import ADMIN_ROLE, MAX_BODY_BYTES, MAX_TEXT_CHARS, SUBMIT_ROLE
from blueprints.http.errors import ApiError
from blueprints.jobs import job_body
from shared.callers import Principal
from shared.jobs import FAILED, JobRecord, JobStore, now


def request(body: bytes | str, content_type: str | None = "application/json") -> func.HttpRequest:
    headers = {} if content_type is None else {"Content-Type": content_type}
    raw = body.encode() if isinstance(body, str) else body
    return func.HttpRequest(method="POST", url="/api/jobs", headers=headers, body=raw)


def refused(req: func.HttpRequest) -> tuple[int, str, str | None]:
    with pytest.raises(ApiError) as raised:
        job_body(req)
    answer = json.loads(raised.value.response().get_body())["error"]
    assert raised.value.response().status_code == raised.value.http_status
    return raised.value.http_status, answer["code"], answer.get("target")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"text": "hello"}, {"text": "hello"}),
        ({"text": "hello", "language": "pt-BR"}, {"text": "hello", "language": "pt-BR"}),
        ({"text": "hello", "language": None}, {"text": "hello"}),
        ({"text": "x" * MAX_TEXT_CHARS}, {"text": "x" * MAX_TEXT_CHARS}),
    ],
)
def test_a_valid_body_is_returned_as_the_job(
    body: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert job_body(request(json.dumps(body))) == expected


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/jsonx", "multipart/form-data"]
)
def test_anything_but_json_is_415(content_type: str | None) -> None:
    assert refused(request('{"text": "x"}', content_type)) == (
        415,
        "unsupported_media_type",
        None,
    )


def test_json_with_parameters_is_json() -> None:
    assert job_body(request('{"text": "x"}', "Application/JSON; charset=utf-8")) == {"text": "x"}


def test_a_body_over_the_limit_is_413_before_it_is_parsed() -> None:
    too_big = b"[" * (MAX_BODY_BYTES + 1)
    assert refused(request(too_big)) == (413, "payload_too_large", None)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\xff\xfe", "invalid_encoding"),
        (b'{"text": "x"', "invalid_json"),
        (b"[" * 30_000 + b"]" * 30_000, "invalid_json"),  # nested past the recursion limit
        (b'["text"]', "invalid_body"),
        (b'"text"', "invalid_body"),
    ],
)
def test_unreadable_bodies_are_400_naming_what_is_wrong(body: bytes, code: str) -> None:
    assert refused(request(body)) == (400, code, None)


@pytest.mark.parametrize(
    ("body", "target", "code"),
    [
        ({"text": "x", "owner": "me"}, "owner", "unknown_field"),
        ({"text": "x", "b": 1, "a": 2}, "a", "unknown_field"),  # the first, sorted
        ({}, "text", "invalid_field"),
        ({"text": ""}, "text", "invalid_field"),
        ({"text": " \t\n\u3000"}, "text", "invalid_field"),
        ({"text": 42}, "text", "invalid_field"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "text", "invalid_field"),
        ({"text": "x", "language": "e"}, "language", "invalid_field"),
        ({"text": "x", "language": "english-uk"}, "language", "invalid_field"),
        ({"text": "x", "language": "e1"}, "language", "invalid_field"),
        ({"text": "x", "language": "é-è"}, "language", "invalid_field"),
        ({"text": "x", "language": 7}, "language", "invalid_field"),
    ],
)
def test_a_bad_field_is_400_naming_it(body: dict[str, Any], target: str, code: str) -> None:
    assert refused(request(json.dumps(body))) == (400, code, target)


# -- a job store that cannot settle answers the app's JSON error, not the host's 500 ---------


class Downloaded:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.properties = SimpleNamespace(etag='"0x1"')

    def readall(self) -> bytes:
        return self.data


class ContendedBlob:
    """Every conditional write finds the blob changed: another writer always got there first."""

    def upload_blob(self, *args: Any, **kwargs: Any) -> None:
        raise ResourceModifiedError("the condition specified using HTTP conditional header(s)")


class ContendedContainer:
    """A jobs container where one failed job lives and nothing can be written: each create
    finds the name taken and each read finds it gone again (a claim changing hands)."""

    def __init__(self, record: JobRecord | None = None) -> None:
        self.record = record

    def upload_blob(self, *args: Any, **kwargs: Any) -> None:
        raise ResourceExistsError("the specified blob already exists")

    def download_blob(self, name: str) -> Downloaded:
        if self.record is not None and name == f"{self.record.id}.json":
            return Downloaded(json.dumps(self.record._asdict()).encode())
        raise ResourceNotFoundError("the specified blob does not exist")

    def get_blob_client(self, name: str) -> ContendedBlob:
        return ContendedBlob()


class QuietOutbox:
    def hold(self, job_id: str) -> None: ...

    def release(self, job_id: str) -> None: ...

    def send(self, job_id: str) -> None: ...


CALLER = Principal(object_id="caller-1", name="caller", roles=frozenset({SUBMIT_ROLE, ADMIN_ROLE}))


@pytest.fixture
def contended(monkeypatch: pytest.MonkeyPatch) -> ContendedContainer:
    container = ContendedContainer()
    monkeypatch.setattr(blueprints.jobs, "require_caller", lambda req, *roles: CALLER)
    monkeypatch.setattr(
        shared.storage,
        "job_store",
        lambda: JobStore(jobs=container, results=container),  # type: ignore[arg-type]
    )
    monkeypatch.setattr(shared.storage, "outbox", QuietOutbox)
    return container


def answered_json(response: func.HttpResponse) -> tuple[int, dict[str, Any], str | None]:
    assert response.mimetype == "application/json"
    return (
        response.status_code,
        json.loads(response.get_body()),
        response.headers.get("Retry-After"),
    )


CONTENDED = {
    "error": {
        "code": "job_state_contended",
        "message": "the job's state is being changed by other requests; retry later",
    }
}


def test_an_idempotency_claim_that_keeps_changing_hands_is_a_503_json_error(
    contended: ContendedContainer,
) -> None:
    req = func.HttpRequest(
        method="POST",
        url="/api/jobs",
        headers={"Content-Type": "application/json", "Idempotency-Key": "k-1"},
        body=b'{"text": "hello"}',
    )
    assert answered_json(blueprints.jobs.submit_job(req)) == (503, CONTENDED, "5")


def test_a_retry_that_never_wins_the_update_is_a_503_json_error(
    contended: ContendedContainer,
) -> None:
    contended.record = JobRecord(
        id=str(uuid.uuid4()),
        owner=CALLER.object_id,
        status=FAILED,
        input={"text": "x"},
        request_hash="0" * 64,
        created=now(),
        updated=now(),
    )
    req = func.HttpRequest(
        method="POST",
        url=f"/api/jobs/{contended.record.id}/retry",
        headers={},
        body=b"",
        route_params={"id": contended.record.id},
    )
    assert answered_json(blueprints.jobs.retry_job(req)) == (503, CONTENDED, "5")
