"""blueprints.http.errors: every failure a handler raises becomes the one error shape.

The mapping of dependency failures is held here once, for every route that uses the
decorator; the integration tests see the same answers through the host.
"""

from __future__ import annotations

import inspect
import json
import logging
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
    answer,
    api_errors,
)
from shared.federation import (
    AssertionTemporarilyUnavailableError,
    AssertionUnavailableError,
    FederationError,
    TokenExchangeRefusedError,
    TokenExchangeUnavailableError,
)
from shared.outbound import (
    OutboundError,
    OutboundTlsError,
    PartnerAnswerError,
    PartnerAuthError,
    PartnerKeyError,
    PartnerRejectedError,
    PartnerTokenRejectedError,
    PartnerUnavailableError,
)
from shared.vault import (
    SecretDisabledError,
    SecretNotFoundError,
    VaultAccessDeniedError,
    VaultError,
    VaultTlsError,
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
        TokenExchangeUnavailableError("Entra down", retry_after=7),
        AssertionTemporarilyUnavailableError("identity endpoint down", retry_after=7),
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


VAULT = "vault.example.test:8443"
PARTNER = "partner.example.test:443"
ENTRA = "login.example.test:443"
SAID = "what the exception says:"  # in the log line, never in the answer


def _at(exc: OutboundError, endpoint: str) -> OutboundError:
    exc.endpoint = endpoint
    return exc


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (VaultAccessDeniedError(f"{SAID} HTTP 403", vault=VAULT), 500, "vault_access_denied"),
        (SecretNotFoundError(f"{SAID} HTTP 404", vault=VAULT), 500, "vault_secret_missing"),
        (SecretDisabledError(f"{SAID} off", vault=VAULT), 500, "vault_secret_disabled"),
        (VaultTlsError(f"{SAID} unknown CA", vault=VAULT), 502, "tls_failure"),
        (VaultError(f"{SAID} HTTP 400", vault=VAULT), 502, "vault_error"),
        (_at(PartnerKeyError(f"{SAID} too short"), PARTNER), 500, "partner_key_invalid"),
        (_at(OutboundTlsError(f"{SAID} unknown CA"), PARTNER), 502, "tls_failure"),
        (_at(PartnerAuthError(f"{SAID} 401", status=401), PARTNER), 502, "partner_refused"),
        (_at(PartnerRejectedError(f"{SAID} 307", status=307), PARTNER), 502, "partner_refused"),
        (_at(PartnerAnswerError(f"{SAID} echo"), PARTNER), 502, "partner_answer_invalid"),
        (_at(OutboundError(f"{SAID} failed"), PARTNER), 502, "partner_error"),
        (_at(PartnerTokenRejectedError(f"{SAID} 401", status=401), PARTNER), 502,
         "partner_token_rejected"),
        (TokenExchangeRefusedError(f"{SAID} refused", endpoint=ENTRA, aadsts="AADSTS700213"),
         500, "partner_token_refused"),
        (AssertionUnavailableError(f"{SAID} no identity", endpoint=ENTRA), 500,
         "identity_unavailable"),
        (FederationError(f"{SAID} unknown CA", endpoint=ENTRA), 502, "entra_error"),
    ],
)  # fmt: skip
def test_each_definite_dependency_failure_has_its_own_status_code_and_log_line(
    exc: VaultError | OutboundError | FederationError,
    status: int,
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Vault denied, secret missing, TLS failure and partner refused are told apart in the
    answer (status and ``code``, a message of the app's own) and in the log line (the code,
    the exception, the dependency's host and port, the cause)."""
    with caplog.at_level(logging.ERROR, logger="app.http"):
        response = answered(exc)
    assert response.status_code == status
    error = shape(response)
    assert error["code"] == code
    detail = f" ({exc.public_detail})" if exc.public_detail else ""  # Entra's AADSTS code
    assert error["message"] == type(exc).caller_message + detail
    body = response.get_body().decode()
    assert SAID not in body
    assert "example.test" not in body  # no host, no URL, in what the caller gets
    (line,) = [r.getMessage() for r in caplog.records if r.name == "app.http"]
    assert line == f"handler: {code}: {type(exc).__name__} at {exc.endpoint}: {exc}"


def test_entra_s_refusal_ends_with_its_code_and_nothing_else_of_it() -> None:
    exc = TokenExchangeRefusedError(
        "AADSTS70021: No matching federated identity record (said by Entra)",
        endpoint=ENTRA,
        aadsts="AADSTS70021",
    )
    error = shape(answered(exc))
    assert error["code"] == "partner_token_refused"
    assert error["message"].endswith("(AADSTS70021)")
    assert "No matching" not in error["message"]


def test_the_codes_of_distinct_failures_differ() -> None:
    failures: dict[str, VaultError | OutboundError] = {
        "vault denied": VaultAccessDeniedError("x"),
        "vault missing secret": SecretNotFoundError("x"),
        "TLS failure": OutboundTlsError("x"),
        "partner refused": PartnerAuthError("x", status=403),
    }
    assert len({(exc.http_status, exc.code) for exc in failures.values()}) == 4
    assert len({exc.caller_message for exc in failures.values()}) == 4
    answers = [json.loads(answer(exc).get_body())["error"] for exc in failures.values()]
    assert len({(a["code"], a["message"]) for a in answers}) == 4


def test_a_vault_error_names_its_vault_with_the_port_spelt_out() -> None:
    assert SecretNotFoundError("x", vault="kv-name.vault.azure.net").endpoint == (
        "kv-name.vault.azure.net:443"
    )
    assert SecretNotFoundError("x", vault="127.0.0.1:8443").endpoint == "127.0.0.1:8443"
    assert SecretNotFoundError("x").endpoint is None


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
