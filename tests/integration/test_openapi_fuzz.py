"""The running API against its own OpenAPI document.

The document is served without a token. Then the devstack's API is fuzzed two ways,
bounded and deterministic (derandomized Hypothesis, no example database):

* schemathesis generates schema-valid and schema-violating requests for every
  operation, with a caller holding every role, and checks each response against
  the document (status documented, body and headers match, valid data accepted,
  invalid data refused);
* Hypothesis posts arbitrary JSON documents and arbitrary bytes to ``POST /api/jobs``
  and compares the status with what the document predicts for that body (202 when
  the body matches ``JobRequest``, 413 above the size limit, 400 otherwise).

Throughout: no 5xx, and every 4xx carries the JSON error shape. A self-test runs the
same harness against a document that lies and expects it to fail.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from devstack.runner import RunningStack
from tests.support import canary

ROLES = ("Jobs.Submit", "Jobs.Admin")
MAX_BODY_BYTES = 64 * 1024


def bounded(examples: int) -> settings:
    """Bounded and repeatable: the same examples on every run, none remembered between runs."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


@pytest.fixture(scope="module")
def served(stack: RunningStack) -> dict[str, Any]:
    response = requests.get(f"{stack.api}/openapi.json", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def test_document_is_served_anonymously(served: dict[str, Any]) -> None:
    assert served["openapi"] == "3.1.0"
    assert set(served["paths"]) >= {
        "/jobs",
        "/jobs/{id}",
        "/jobs/{id}/retry",
        "/health",
        "/openapi.json",
    }


def test_a_token_is_not_needed_but_a_bad_one_does_no_harm(stack: RunningStack) -> None:
    """Excluded paths skip authentication entirely, as authsettingsV2 does in Azure."""
    response = requests.get(
        f"{stack.api}/openapi.json", headers={"Authorization": "Bearer not-a-token"}, timeout=10
    )
    assert response.status_code == 200


Answer = requests.Response | schemathesis.Response


def _headers(response: Answer) -> dict[str, str]:
    """Lower-cased names; schemathesis keeps a list of values per name, requests one string."""
    return {
        name.lower(): value[0] if isinstance(value, list) else value
        for name, value in response.headers.items()
    }


def _record(response: Answer) -> None:
    """Keep the response for the leak canary, as the other API tests do."""
    canary.record(response.status_code, _headers(response).items(), response.text)


def assert_no_5xx_and_error_shape(response: Answer, request: str) -> None:
    assert response.status_code < 500, (request, response.status_code, response.text[:300])
    if response.status_code < 400:
        return
    headers = _headers(response)
    if response.status_code == 404 and not response.content:
        return  # the host's answer to an unknown route or an unlisted method, as in Azure
    assert headers.get("content-type", "").startswith("application/json"), request
    body = response.json()
    assert set(body) == {"error"}, (request, body)
    assert set(body["error"]) in ({"code", "message"}, {"code", "message", "target"}), body
    assert all(isinstance(value, str) for value in body["error"].values()), body
    assert body["error"]["code"], body
    assert body["error"]["message"], body


def schemathesis_fuzz(
    stack: RunningStack, document: dict[str, Any], mode: GenerationMode, examples: int
) -> dict[str, int]:
    """Fuzz every operation of ``document`` on the stack; return counts per status class."""
    schema = schemathesis.openapi.from_dict(document)
    auth = {"Authorization": f"Bearer {stack.caller_token(*ROLES, lifetime=900)}"}
    seen: dict[str, int] = {}

    @given(case=schema.as_strategy(generation_mode=mode))
    @bounded(examples)
    def fuzz(case: Any) -> None:
        response = case.call(base_url=stack.api, headers=auth, timeout=30)
        _record(response)
        key = f"{case.method} {case.path} {response.status_code}"
        seen[key] = seen.get(key, 0) + 1
        assert_no_5xx_and_error_shape(response, case.as_curl_command())
        case.validate_response(response)

    fuzz()
    return seen


def test_schemathesis_valid_requests(stack: RunningStack, served: dict[str, Any]) -> None:
    seen = schemathesis_fuzz(stack, served, GenerationMode.POSITIVE, 200)
    assert seen.get("POST /jobs 202", 0) >= 10, seen
    assert {key.rsplit(" ", 1)[0] for key in seen} >= {
        "POST /jobs",
        "GET /jobs/{id}",
        "POST /jobs/{id}/retry",
        "GET /health",
    }


def test_schemathesis_invalid_requests(stack: RunningStack, served: dict[str, Any]) -> None:
    seen = schemathesis_fuzz(stack, served, GenerationMode.NEGATIVE, 200)
    assert seen.get("POST /jobs 400", 0) >= 10, seen


def test_the_fuzz_fails_when_the_document_lies(stack: RunningStack, served: dict[str, Any]) -> None:
    """The harness is not decoration: a wrong document makes it fail."""
    lying = copy.deepcopy(served)
    lying["components"]["schemas"]["Job"]["properties"]["status"] = {"enum": ["not-a-status"]}
    with pytest.raises(BaseExceptionGroup) as caught:
        schemathesis_fuzz(stack, lying, GenerationMode.POSITIVE, 30)
    assert caught.group_contains(AssertionError, match="Response violates schema")


# -- Hypothesis: arbitrary bodies against the document's prediction ---------------------


@pytest.fixture(scope="module")
def body_schema(served: dict[str, Any]) -> jsonschema_rs.Validator:
    schema = served["components"]["schemas"]["JobRequest"]
    return jsonschema_rs.validator_for(schema)


def predicted_status(raw: bytes, validator: jsonschema_rs.Validator) -> int:
    """What the document says ``POST /api/jobs`` answers to this body."""
    if len(raw) > MAX_BODY_BYTES:
        return 413
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return 400
    return 202 if validator.is_valid(document) else 400


def submit_raw(stack: RunningStack, token: str, raw: bytes) -> requests.Response:
    response = requests.post(
        f"{stack.api}/jobs",
        data=raw,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    _record(response)
    return response


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
LANGUAGES = st.one_of(
    st.none(),
    st.from_regex(r"[A-Za-z]{2,3}(-[A-Za-z]{2,4})?", fullmatch=True),
    st.text(max_size=10),
    JSON_VALUES,
)
TEXTS = st.one_of(
    st.text(min_size=0, max_size=200), st.text(" \t\n\u3000", max_size=5), JSON_VALUES
)
WITH_EXTRA_FIELD = st.builds(
    lambda body, name, value: {**body, name: value},
    st.fixed_dictionaries({"text": TEXTS}, optional={"language": LANGUAGES}),
    st.sampled_from(["owner", "id", "status", "", "Text"]),
    JSON_VALUES,
)
JOB_BODIES = st.one_of(
    st.fixed_dictionaries({"text": TEXTS}, optional={"language": LANGUAGES}),
    WITH_EXTRA_FIELD,
    JSON_VALUES,
)


def _differential(
    stack: RunningStack, validator: jsonschema_rs.Validator
) -> Callable[[bytes], int]:
    token = stack.caller_token("Jobs.Submit", lifetime=900)

    def check(raw: bytes) -> int:
        response = submit_raw(stack, token, raw)
        assert_no_5xx_and_error_shape(response, repr(raw[:200]))
        expected = predicted_status(raw, validator)
        assert response.status_code == expected, (raw[:200], response.text[:300])
        return response.status_code

    return check


def test_hypothesis_json_bodies_get_what_the_document_predicts(
    stack: RunningStack, body_schema: jsonschema_rs.Validator
) -> None:
    check = _differential(stack, body_schema)
    statuses: list[int] = []

    @given(body=JOB_BODIES)
    @bounded(150)
    def fuzz(body: Any) -> None:
        statuses.append(check(json.dumps(body).encode()))

    fuzz()
    # Both paths were exercised (how often each is hit varies with Hypothesis's search).
    assert statuses.count(202) >= 5, statuses
    assert statuses.count(400) >= 5, statuses


def test_hypothesis_raw_bytes_get_what_the_document_predicts(
    stack: RunningStack, body_schema: jsonschema_rs.Validator
) -> None:
    check = _differential(stack, body_schema)
    near_json = st.builds(
        lambda body, cut, junk: json.dumps(body).encode()[:cut] + junk,
        JOB_BODIES,
        st.integers(min_value=0, max_value=60),
        st.binary(max_size=4),
    )

    @given(raw=st.one_of(st.binary(max_size=200), near_json))
    @bounded(100)
    def fuzz(raw: bytes) -> None:
        check(raw)

    fuzz()
