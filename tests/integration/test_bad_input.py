"""Hostile and broken requests: each gets its own 4xx, and none leaves anything behind.

Every request here is made with a valid token (except where the token is the point),
so what answers is the app's own validation, not the platform's authentication.
Answers from the app carry the JSON error shape with a specific code; answers the
Functions host gives before the app runs (unknown route or unlisted method 404, a
header block larger than the server accepts) have no body, in Azure as on the
devstack. Around each group, the job blobs and the partner's call count are
compared: a rejected request writes no job and calls no one, and a job that is
never written is never enqueued (the message is sent only after its state exists).
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from devstack.runner import RunningStack
from tests.support.footprint import Footprint
from tests.support.jobsapi import Api

SUBMIT, ADMIN = "Jobs.Submit", "Jobs.Admin"


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Api:
    return Api(stack)


@pytest.fixture
def untouched(stack: RunningStack) -> Iterator[None]:
    """The test's requests wrote no job and made no partner call."""
    before = Footprint.of(stack)
    yield
    assert Footprint.of(stack) == before, "a rejected request left something behind"


def assert_error(response: requests.Response, status: int, code: str, target: str | None) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "target"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert (error["code"], error.get("target")) == (code, target)


def post_raw(api: Api, body: bytes, content_type: str | None = "application/json", **headers: Any):
    sent = {**api.headers(SUBMIT), **headers}
    if content_type is not None:
        sent["Content-Type"] = content_type
    return api.session.post(f"{api.base}/jobs", data=body, headers=sent, timeout=60)


def nested(depth: int, opening: str = "[", closing: str = "]") -> bytes:
    return (opening * depth + closing * depth).encode()


MALFORMED = {
    "truncated object": b'{"text": "a"',
    "trailing comma": b'{"text": "a",}',
    "two documents": b'{"text": "a"} {"text": "b"}',
    "single quotes": b"{'text': 'a'}",
    "empty body": b"",
    "whitespace only": b"  \n ",
    "utf-8 BOM": b'\xef\xbb\xbf{"text": "a"}',
    "bare word": b"text",
    "nested arrays within the size limit": nested(30_000),
    "nested objects within the size limit": b'{"text": ' + nested(10_000, '{"a":', "}") + b"}",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_json_is_400_invalid_json(api: Api, case: str, untouched: None) -> None:
    assert_error(post_raw(api, MALFORMED[case]), 400, "invalid_json", None)


INVALID_UTF8 = {
    "lone continuation byte": b'{"text": "\x80"}',
    "invalid start byte": b'{"text": "\xff\xfe"}',
    "overlong slash": b'{"text": "\xc0\xaf"}',
    "encoded surrogate": b'{"text": "\xed\xa0\x80"}',
    "truncated sequence": b'{"text": "\xe2\x82"}',
    "utf-16 document": '{"text": "a"}'.encode("utf-16"),
}


@pytest.mark.parametrize("case", sorted(INVALID_UTF8))
def test_invalid_utf8_is_400_invalid_encoding(api: Api, case: str, untouched: None) -> None:
    assert_error(post_raw(api, INVALID_UTF8[case]), 400, "invalid_encoding", None)


WRONG_SHAPES: dict[str, tuple[Any, str, str | None]] = {
    "array body": (["text"], "invalid_body", None),
    "string body": ("text", "invalid_body", None),
    "number body": (42, "invalid_body", None),
    "null body": (None, "invalid_body", None),
    "boolean body": (True, "invalid_body", None),
    "no text": ({"language": "en"}, "invalid_field", "text"),
    "text null": ({"text": None}, "invalid_field", "text"),
    "text number": ({"text": 42}, "invalid_field", "text"),
    "text boolean": ({"text": True}, "invalid_field", "text"),
    "text array": ({"text": ["a"]}, "invalid_field", "text"),
    "text object": ({"text": {"a": "b"}}, "invalid_field", "text"),
    "text empty": ({"text": ""}, "invalid_field", "text"),
    "text whitespace": ({"text": " \t\n\u2003\u3000"}, "invalid_field", "text"),
    "text too long": ({"text": "x" * 10_001}, "invalid_field", "text"),
    "language number": ({"text": "a", "language": 5}, "invalid_field", "language"),
    "language array": ({"text": "a", "language": ["en"]}, "invalid_field", "language"),
    "language too long": ({"text": "a", "language": "abcdefghi"}, "invalid_field", "language"),
    "language one letter": ({"text": "a", "language": "e"}, "invalid_field", "language"),
    "language non-ascii": ({"text": "a", "language": "\u00e9n"}, "invalid_field", "language"),
    "language digits": ({"text": "a", "language": "e1"}, "invalid_field", "language"),
    "language dashes only": ({"text": "a", "language": "--"}, "invalid_field", "language"),
    "unknown field": ({"text": "a", "owner": "someone"}, "unknown_field", "owner"),
    "status injected": ({"text": "a", "status": "completed"}, "unknown_field", "status"),
}


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_wrong_types_and_values_name_the_field(api: Api, case: str, untouched: None) -> None:
    body, code, target = WRONG_SHAPES[case]
    assert_error(post_raw(api, json.dumps(body).encode()), 400, code, target)


def test_non_finite_numbers_are_refused_as_the_wrong_type(api: Api, untouched: None) -> None:
    assert_error(post_raw(api, b'{"text": NaN}'), 400, "invalid_field", "text")
    assert_error(
        post_raw(api, b'{"text": "a", "language": Infinity}'), 400, "invalid_field", "language"
    )


@pytest.mark.parametrize(
    "size", [64 * 1024 + 1, 1024 * 1024, 8 * 1024 * 1024], ids=["64KiB+1", "1MiB", "8MiB"]
)
def test_bodies_over_64_kib_are_413(api: Api, size: int, untouched: None) -> None:
    filler = "x" * (size - len('{"text": ""}'))
    body = json.dumps({"text": filler}).encode()
    assert len(body) == size
    assert_error(post_raw(api, body), 413, "payload_too_large", None)


def test_100k_nested_arrays_are_413_before_any_parsing(api: Api, untouched: None) -> None:
    assert_error(post_raw(api, nested(100_000)), 413, "payload_too_large", None)


def test_a_body_of_exactly_64_kib_is_judged_on_its_content(api: Api, untouched: None) -> None:
    body = json.dumps({"text": "x" * (64 * 1024 - len('{"text": ""}'))}).encode()
    assert len(body) == 64 * 1024
    assert_error(post_raw(api, body), 400, "invalid_field", "text")


CONTENT_TYPES = {
    "missing": None,
    "text/plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "json lookalike": "application/json-patch+json",
    "json suffix": "application/vnd.api+json",
    "empty": "",
}


@pytest.mark.parametrize("case", sorted(CONTENT_TYPES))
def test_other_content_types_are_415(api: Api, case: str, untouched: None) -> None:
    response = post_raw(api, b'{"text": "a"}', content_type=CONTENT_TYPES[case])
    assert_error(response, 415, "unsupported_media_type", None)


def _raw_request(
    stack: RunningStack, method: str, path: str, headers: list[tuple[str, bytes]], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """Send headers exactly as given (duplicates, raw bytes), which requests cannot."""
    parts = urlsplit(stack.api)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.putrequest(method, parts.path + path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _auth(stack: RunningStack) -> tuple[str, bytes]:
    return ("Authorization", f"Bearer {stack.caller_token(SUBMIT)}".encode())


@pytest.mark.parametrize(
    "types",
    [("application/json", "text/plain"), ("application/json", "application/json")],
    ids=["json and text", "json twice"],
)
def test_duplicated_content_types_are_415(
    stack: RunningStack, types: tuple[str, str], untouched: None
) -> None:
    headers = [_auth(stack), *(("Content-Type", t.encode()) for t in types)]
    status, _, body = _raw_request(stack, "POST", "/jobs", headers, b'{"text": "a"}')
    assert status == 415
    assert json.loads(body)["error"]["code"] == "unsupported_media_type"


IDEMPOTENCY_KEYS = {
    "empty": b"",
    "201 characters": b"k" * 201,
    "8 KiB": b"k" * 8192,
    "non-ASCII (UTF-8 bytes)": "cl\u00e9-\u043a\u043b\u044e\u0447".encode(),
    "latin-1 byte": b"caf\xe9",
    "tab inside": b"a\tb",
    "DEL character": b"a\x7fb",
}


@pytest.mark.parametrize("case", sorted(IDEMPOTENCY_KEYS))
def test_odd_idempotency_keys_are_400_invalid_header(
    stack: RunningStack, case: str, untouched: None
) -> None:
    headers = [
        _auth(stack),
        ("Content-Type", b"application/json"),
        ("Idempotency-Key", IDEMPOTENCY_KEYS[case]),
    ]
    status, _, body = _raw_request(stack, "POST", "/jobs", headers, b'{"text": "a"}')
    assert status == 400, body[:300]
    error = json.loads(body)["error"]
    assert (error["code"], error["target"]) == ("invalid_header", "Idempotency-Key")


def test_a_header_block_beyond_the_server_limit_is_refused_by_the_server(
    stack: RunningStack, untouched: None
) -> None:
    headers = [
        _auth(stack),
        ("Content-Type", b"application/json"),
        ("Idempotency-Key", b"k" * 70_000),
    ]
    try:
        status, _, _ = _raw_request(stack, "POST", "/jobs", headers, b'{"text": "a"}')
    except (ConnectionError, http.client.HTTPException):
        return  # the server closed the connection: also a refusal
    assert 400 <= status < 500


ROUTE_CASES = {
    "unknown route": ("GET", "/nothing-here", 404),
    "unknown nested route": ("GET", "/jobs/{id}/retry/again", 404),
    "route prefix only": ("GET", "", 404),
    # The host's routes carry an HTTP-method constraint: an unlisted method matches no route.
    "DELETE jobs": ("DELETE", "/jobs", 404),
    "GET jobs": ("GET", "/jobs", 404),
    "PUT a job": ("PUT", "/jobs/{id}", 404),
    "PATCH a job": ("PATCH", "/jobs/{id}", 404),
    "GET retry": ("GET", "/jobs/{id}/retry", 404),
    "POST health": ("POST", "/health", 404),
}


@pytest.mark.parametrize("case", sorted(ROUTE_CASES))
def test_unknown_routes_and_unlisted_methods_are_404_from_the_host(
    api: Api, case: str, untouched: None
) -> None:
    method, path, status = ROUTE_CASES[case]
    url = api.base + path.replace("{id}", str(uuid.uuid4()))
    response = api.session.request(
        method,
        url,
        headers={**api.headers(SUBMIT, ADMIN), "Content-Type": "application/json"},
        data=b'{"text": "a"}',
        timeout=30,
    )
    assert response.status_code == status
    assert response.content == b""


NOT_IDS = {
    "word": "not-a-job",
    "number": "12345",
    "almost a uuid": str(uuid.uuid4())[:-1],
    "uuid with junk": f"{uuid.uuid4()}x",
    "traversal": "..%2F..%2Fresults",
    "encoded NUL": "%00",
    "encoded newline": "a%0Ab",
    "non-ASCII": "%E2%98%83",
    "very long": "a" * 4000,
    "blob name": f"{uuid.uuid4()}.json",
    "idempotency blob": "idempotency%2Fabc.json",
}


@pytest.mark.parametrize("case", sorted(NOT_IDS))
def test_ids_that_are_not_ids_are_404(api: Api, case: str, untouched: None) -> None:
    job_id = NOT_IDS[case]
    read = api.session.get(f"{api.base}/jobs/{job_id}", headers=api.headers(SUBMIT), timeout=30)
    assert_error(read, 404, "not_found", "id")
    retry = api.session.post(
        f"{api.base}/jobs/{job_id}/retry", headers=api.headers(ADMIN), timeout=30
    )
    assert_error(retry, 404, "not_found", "id")


def test_a_function_key_in_the_query_changes_nothing(api: Api, untouched: None) -> None:
    """Function keys are not used: a ``code`` parameter neither grants nor breaks access."""
    anonymous = requests.get(f"{api.base}/jobs/{uuid.uuid4()}?code=anything", timeout=30)
    assert anonymous.status_code == 401
    response = api.session.get(
        f"{api.base}/jobs/{uuid.uuid4()}?code=anything", headers=api.headers(SUBMIT), timeout=30
    )
    assert_error(response, 404, "not_found", "id")


def test_strange_but_valid_text_is_accepted_and_processed(api: Api) -> None:
    """The other side of validation: odd yet valid input is not refused and does not break."""
    texts = [
        "a\u0000b",
        "\ud83d\ude00 emoji",
        "\u202eright-to-left override",
        "<script>alert(1)</script>",
        '"; DROP TABLE jobs; --',
        "x" * 10_000,
    ]
    accepted = []
    for text in texts:
        response = api.submit({"text": text, "language": "en"})
        assert response.status_code == 202, (text[:20], response.text)
        accepted.append(response.json()["id"])
    for job_id in accepted:
        assert api.wait_for(job_id, "completed")["result"]["job_id"] == job_id


def test_a_lone_surrogate_escape_is_accepted_and_processed(api: Api) -> None:
    """``"\\ud800"`` is valid JSON but no Unicode scalar: it must not break any later step."""
    response = post_raw(api, b'{"text": "a\\ud800b"}')
    assert response.status_code == 202, response.text
    done = api.wait_for(response.json()["id"], "completed")
    assert done["result"]["word_count"] == 2
