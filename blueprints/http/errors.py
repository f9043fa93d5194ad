"""One error path for HTTP functions: raise an :class:`ApiError`, let :func:`api_errors` answer.

A handler raises the error that says what went wrong (:class:`BadRequest` naming the field,
:class:`Unauthenticated`, :class:`Forbidden`, :class:`NotFound`, :class:`Conflict`,
:class:`Unavailable` with the dependency's ``Retry-After`` ...) and :func:`api_errors` turns
it into the one JSON error shape. The decorator also maps the failures of the app's
dependencies, so no handler repeats the mapping:

* ``VaultUnavailableError`` / ``PartnerUnavailableError`` / a transient failure to get the
  partner's Entra token (:mod:`shared.federation`) -> ``503 dependency_unavailable`` with
  ``Retry-After`` (the dependency's wait, else 5 s);
* a definite vault or partner failure -> the status and code of :data:`DEPENDENCY_FAILURES`:
  ``500`` when the deployment is misconfigured and an operator must act (Key Vault denied
  the app, the partner key is missing, disabled or unusable, Entra refused the federated
  exchange: the message ends with its ``AADSTS`` code), ``502`` when the other end cannot be
  trusted or refused (TLS, the partner's refusal of the key or the token, an answer the app
  refuses);
* ``azure.core``'s ``AzureError`` (storage) -> ``503 dependency_unavailable`` with the
  route's own message.

Messages are the app's own; an exception's text never reaches a caller. The log line of a
dependency failure names its code, the exception type, the dependency's ``host:port`` and
the exception's text, which this app's vault and outbound exceptions keep to safe
identifiers (a secret's name, a method and path without query, a status, a TLS reason).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from typing import ClassVar

import azure.functions as func

from blueprints.http.responses import error_response
from shared.callers import REFUSED_BY_APP, REFUSED_BY_HEADER
from shared.federation import (
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

logger = logging.getLogger("app.http")

Handler = Callable[[func.HttpRequest], func.HttpResponse]

#: Seconds a client is told to wait when the dependency did not say.
DEFAULT_RETRY_AFTER = 5
STORAGE_UNAVAILABLE = "storage is unavailable; retry later"
DEPENDENCY_UNAVAILABLE = "a dependency is unavailable; retry later"
PARTNER_FAILED = "the partner API refused or failed the call"


class ApiError(Exception):
    """An answer other than success; subclasses fix the status and the default code.

    :param message: what went wrong, for the caller (never an exception's text).
    :keyword code: a more precise code than the class's (``invalid_field``, ...).
    :keyword target: the field, header or parameter at fault.
    """

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, target: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.target = target

    def headers(self) -> dict[str, str] | None:
        return None

    def response(self) -> func.HttpResponse:
        return error_response(
            self.status, self.code, self.message, target=self.target, headers=self.headers()
        )


class BadRequest(ApiError):
    """400: the request itself is wrong; ``code`` and ``target`` say how and where."""


class Unauthenticated(ApiError):
    """401 with ``WWW-Authenticate: Bearer`` (RFC 6750, section 3), marked as the app's own
    refusal (:data:`shared.callers.REFUSED_BY_HEADER`)."""

    status = 401
    default_code = "unauthenticated"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer", REFUSED_BY_HEADER: REFUSED_BY_APP}


class Forbidden(ApiError):
    """403, marked as the app's own refusal (:data:`shared.callers.REFUSED_BY_HEADER`)."""

    status = 403
    default_code = "forbidden"

    def headers(self) -> dict[str, str]:
        return {REFUSED_BY_HEADER: REFUSED_BY_APP}


class NotFound(ApiError):
    status = 404
    default_code = "not_found"


class Conflict(ApiError):
    status = 409
    default_code = "conflict"


class InProgress(Conflict):
    """409 with ``Retry-After``: the same request is still being handled; repeat it later."""

    default_code = "in_progress"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int = 1,
        code: str | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__(message, code=code, target=target)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, self.retry_after))}


class PayloadTooLarge(ApiError):
    status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    default_code = "unsupported_media_type"


class BadGateway(ApiError):
    """502: the partner refused or failed the call, its answer was refused, or the other end
    could not be trusted (TLS); what it said is never passed on."""

    status = 502
    default_code = "partner_error"


class Misconfigured(ApiError):
    """500: the deployment is misconfigured (``code`` says how); an operator must act."""

    status = 500
    default_code = "misconfigured"


class Unavailable(ApiError):
    """503 with ``Retry-After``: a dependency is down; the request may be repeated later."""

    status = 503
    default_code = "dependency_unavailable"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        seconds = max(1, math.ceil(self.retry_after or DEFAULT_RETRY_AFTER))
        return {"Retry-After": str(seconds)}


#: A definite vault or partner failure: the most specific class first. The messages never
#: hold a secret, a URL or a host name (the log line has the host and port).
DEPENDENCY_FAILURES: tuple[tuple[type[Exception], type[ApiError], str, str], ...] = (
    (VaultAccessDeniedError, Misconfigured, "vault_access_denied",
     "Key Vault denied the app's identity access to the partner key"),
    (SecretNotFoundError, Misconfigured, "vault_secret_missing",
     "the partner key is missing from Key Vault"),
    (SecretDisabledError, Misconfigured, "vault_secret_disabled",
     "the partner key is disabled in Key Vault"),
    (PartnerKeyError, Misconfigured, "partner_key_invalid",
     "the partner key in Key Vault is unusable (too short, or a blank or control character)"),
    (VaultTlsError, BadGateway, "tls_failure", "no trusted TLS connection to Key Vault"),
    (OutboundTlsError, BadGateway, "tls_failure", "no trusted TLS connection to the partner API"),
    (TokenExchangeRefusedError, Misconfigured, "partner_token_refused",
     "Microsoft Entra refused to issue the partner's token: the app registration, its "
     "federated credential or the partner's consent does not match the app's identity"),
    (AssertionUnavailableError, Misconfigured, "identity_unavailable",
     "the app's managed identity gave no token for the federated exchange"),
    (FederationError, BadGateway, "entra_error", "Microsoft Entra failed the token request"),
    (PartnerTokenRejectedError, BadGateway, "partner_token_rejected",
     "the partner API refused the app's Entra token (its tenant, audience or app role)"),
    (PartnerAuthError, BadGateway, "partner_refused", "the partner API refused the call"),
    (PartnerRejectedError, BadGateway, "partner_refused", "the partner API refused the call"),
    (PartnerAnswerError, BadGateway, "partner_answer_invalid",
     "the partner API's answer was refused: it is not what the app accepts"),
    (VaultError, BadGateway, "vault_error", "Key Vault failed the request"),
    (OutboundError, BadGateway, "partner_error", PARTNER_FAILED),
)  # fmt: skip
_MAX_LOGGED = 300


Dependency = VaultError | OutboundError | FederationError


def dependency_error(exc: Dependency) -> ApiError:
    """The answer to a definite vault, partner or Entra failure (:data:`DEPENDENCY_FAILURES`);
    an Entra refusal's ``AADSTS`` code is the one detail of the failure passed on."""
    for failure, answer, code, message in DEPENDENCY_FAILURES:
        if isinstance(exc, failure):
            detail = getattr(exc, "public_detail", None)
            return answer(f"{message} ({detail})" if detail else message, code=code)
    raise TypeError(f"no answer for {type(exc).__name__}")  # the table ends with the bases


def is_transient(exc: Dependency) -> bool:
    """A failure worth repeating the request for (``503`` with ``Retry-After``)."""
    if isinstance(exc, AssertionUnavailableError):
        return exc.transient
    transient = VaultUnavailableError | PartnerUnavailableError | TokenExchangeUnavailableError
    return isinstance(exc, transient)


def _described(exc: Dependency) -> str:
    """``Type at host:port: message``, for the log line."""
    where = exc.endpoint or "an unknown endpoint"
    return f"{type(exc).__name__} at {where}: {str(exc)[:_MAX_LOGGED]}"


def api_errors(*, storage: str = STORAGE_UNAVAILABLE) -> Callable[[Handler], Handler]:
    """Answer every :class:`ApiError` and dependency failure of the handler with the one shape.

    :keyword storage: the message of the ``503`` when storage (``AzureError``) fails.

    Put it under ``@bp.route``. The wrapper keeps the handler's signature
    (``functools.wraps``): the Python worker reads a function's bindings with
    ``inspect.signature`` and ``typing.get_type_hints``, which both see through it.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def answer(req: func.HttpRequest) -> func.HttpResponse:
            from azure.core.exceptions import AzureError  # on the first request, not at indexing

            name = handler.__name__
            try:
                return handler(req)
            except ApiError as error:
                return error.response()
            except (VaultError, OutboundError, FederationError) as exc:
                if is_transient(exc):
                    logger.warning("%s: dependency_unavailable: %s", name, _described(exc))
                    wait = getattr(exc, "retry_after", None)
                    return Unavailable(DEPENDENCY_UNAVAILABLE, retry_after=wait).response()
                failure = dependency_error(exc)
                logger.error("%s: %s: %s", name, failure.code, _described(exc))
                return failure.response()
            except AzureError as exc:
                logger.error("%s: storage failed (%s)", name, type(exc).__name__)
                return Unavailable(storage).response()

        return answer

    return decorate
