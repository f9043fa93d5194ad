"""blueprints.http.errors: every failure a handler raises becomes the one error shape.

The mapping of dependency failures is held here once, for every route that uses the
decorator; the integration tests see the same answers through the host.
"""

from __future__ import annotations

import inspect
import json
import typing
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import ServiceRequestError

from blueprints.http.errors import (
    DEFAULT_RETRY_AFTER,
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unavailable,
    api_errors,
)
from shared.errors import (
    OutboundError,
    PartnerAuthError,
    PartnerUnavailableError,
    SecretNotFoundError,
    VaultAccessDeniedError,
    VaultUnavailableError,
)

REQUEST = func.HttpRequest(method="GET", url="/api/x", headers={}, body=b"")


def answered(exc: BaseException, *, storage: str = "storage is down") -> func.HttpResponse:
    @api_errors(storage=storage)
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        raise exc

    return handler(REQUEST)


def shape(response: func.HttpResponse) -> dict[str, Any]:
    assert response.mimetype == "application/json"
    body: dict[str, Any] = json.loads(response.get_body())
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BadRequest("bad", code="invalid_field", target="text"), 400, "invalid_field"),
        (Unauthenticated("who?"), 401, "unauthenticated"),
        (Forbidden("no"), 403, "forbidden"),
        (NotFound("none", target="id"), 404, "not_found"),
        (Conflict("again", code="not_failed"), 409, "not_failed"),
    ],
)
def test_api_errors_answer_their_status_code_message_and_target(
    error: ApiError, status: int, code: str
) -> None:
    response = answered(error)
    assert response.status_code == status
    expected = {"code": code, "message": error.message}
    if error.target is not None:
        expected["target"] = error.target
    assert shape(response) == expected
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("retry_after", "header"), [(None, str(DEFAULT_RETRY_AFTER)), (2.1, "3"), (0.2, "1")]
)
def test_unavailable_says_when_to_retry(retry_after: float | None, header: str) -> None:
    response = answered(Unavailable("later", retry_after=retry_after))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == header
    assert shape(response)["code"] == "dependency_unavailable"


@pytest.mark.parametrize(
    "exc",
    [
        VaultUnavailableError("vault down", retry_after=7),
        PartnerUnavailableError("partner down", retry_after=7),
    ],
)
def test_a_transient_dependency_failure_is_503_with_its_retry_after(exc: Exception) -> None:
    response = answered(exc)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert shape(response) == {
        "code": "dependency_unavailable",
        "message": "a dependency is unavailable; retry later",
    }


@pytest.mark.parametrize(
    "exc",
    [
        SecretNotFoundError("no such secret"),
        VaultAccessDeniedError("denied"),
        PartnerAuthError("refused twice", status=401),
        OutboundError("TLS failure"),
    ],
)
def test_a_definite_vault_or_partner_failure_is_502_without_its_text(exc: Exception) -> None:
    response = answered(exc)
    assert response.status_code == 502
    assert shape(response) == {
        "code": "partner_error",
        "message": "the partner API refused or failed the call",
    }
    assert str(exc) not in response.get_body().decode()


def test_a_storage_failure_is_503_with_the_routes_own_message() -> None:
    response = answered(ServiceRequestError("connection reset"), storage="the report is away")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DEFAULT_RETRY_AFTER)
    assert shape(response) == {"code": "dependency_unavailable", "message": "the report is away"}


def test_anything_else_is_left_to_the_host() -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        answered(RuntimeError("a bug"))


def test_the_wrapper_shows_the_worker_the_handlers_bindings() -> None:
    """The worker reads bindings with inspect.signature and typing.get_type_hints
    (azure-functions-python-worker, azure_functions_worker/functions.py, add_function)."""

    def original(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok")

    wrapped = api_errors()(original)
    assert wrapped.__name__ == "original"
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert typing.get_type_hints(wrapped) == typing.get_type_hints(original)
    assert not inspect.iscoroutinefunction(wrapped)
    assert wrapped(REQUEST).get_body() == b"ok"
