"""blueprints.jobs: the job body is validated before anything else happens.

The integration tests (tests/integration/test_bad_input.py) send the same kinds of
bad bodies through the host; these hold every branch of the validation itself, with
the status, code and target each one answers.
"""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from blueprints.contracts.jobs import MAX_BODY_BYTES, MAX_TEXT_CHARS
from blueprints.http.errors import ApiError
from blueprints.jobs import job_body


def request(body: bytes | str, content_type: str | None = "application/json") -> func.HttpRequest:
    headers = {} if content_type is None else {"Content-Type": content_type}
    raw = body.encode() if isinstance(body, str) else body
    return func.HttpRequest(method="POST", url="/api/jobs", headers=headers, body=raw)


def refused(req: func.HttpRequest) -> tuple[int, str, str | None]:
    with pytest.raises(ApiError) as raised:
        job_body(req)
    answer = json.loads(raised.value.response().get_body())["error"]
    assert raised.value.response().status_code == raised.value.status
    return raised.value.status, answer["code"], answer.get("target")


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
