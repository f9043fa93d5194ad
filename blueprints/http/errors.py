"""One error path for HTTP functions: raise an app error, let :func:`api_errors` answer.

A handler raises the :class:`ApiError` that says what went wrong with the request
(:class:`BadRequest` naming the field, :class:`Unauthenticated`, :class:`Forbidden`,
:class:`NotFound`, :class:`Conflict`, :class:`Unavailable` with the dependency's
``Retry-After`` ...) and lets every other failure propagate. :func:`api_errors` answers
them all with the one JSON error shape:

* an :class:`ApiError` with its own status, code, message and target;
* ``azure.core``'s ``AzureError`` (storage) with ``503 dependency_unavailable`` and the
  route's own message;
* any other app error (:class:`shared.errors.AppError`: the vault's, the partner's, the job
  store's...) with what its class says it means for a caller: its ``http_status``, its
  ``code`` and its ``caller_message``, and ``Retry-After`` when it is transient (the
  dependency's wait, else :data:`DEFAULT_RETRY_AFTER`). For the vault and the partner: ``503``
  while they are unavailable, ``500`` when the deployment is misconfigured and an operator
  must act (Key Vault denied the app, the partner key is missing, disabled or unusable),
  ``502`` when the other end cannot be trusted or refused (TLS, the partner's refusal, an
  answer the app refuses). :class:`~shared.errors.AppError` is caught last: no app error
  reaches a caller as the host's generic 500.

Messages are the app's own; an exception's text never reaches a caller. The log line of a
failure names its code, the exception type, the dependency's ``host:port`` when it has one,
and the exception's text, which the app's exceptions keep to safe identifiers (a secret's
name, a method and path without query, a status, a TLS reason).
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import azure.functions as func

from blueprints.http.responses import error_response
from shared.callers import REFUSED_BY_APP, REFUSED_BY_HEADER
from shared.errors import AppError

logger = logging.getLogger("app.http")

#: An HTTP handler, plain or ``async``.
H = TypeVar("H", bound=Callable[..., Any])

#: Seconds a client is told to wait when the dependency did not say.
DEFAULT_RETRY_AFTER = 5
STORAGE_UNAVAILABLE = "storage is unavailable; retry later"
_MAX_LOGGED = 300
_NO_ENDPOINT = object()


def retry_after_header(seconds: float | None) -> dict[str, str]:
    """``Retry-After`` in whole seconds, at least 1; :data:`DEFAULT_RETRY_AFTER` when unknown."""
    return {"Retry-After": str(max(1, math.ceil(seconds or DEFAULT_RETRY_AFTER)))}


class ApiError(AppError):
    """An answer other than success; subclasses fix the status and the default code.

    :param message: what went wrong, for the caller (never an exception's text).
    :keyword code: a more precise code than the class's (``invalid_field``, ...).
    :keyword target: the field, header or parameter at fault.
    """

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, target: str | None = None):
        super().__init__(message)
        self.message = self.caller_message = message
        self.code = code or type(self).code
        self.target = target

    def headers(self) -> dict[str, str] | None:
        return retry_after_header(self.retry_after) if self.transient else None

    def response(self) -> func.HttpResponse:
        return answer(self)


class BadRequest(ApiError):
    """400: the request itself is wrong; ``code`` and ``target`` say how and where."""


class Unauthenticated(ApiError):
    """401 with ``WWW-Authenticate: Bearer`` (RFC 6750, section 3), marked as the app's own
    refusal (:data:`shared.callers.REFUSED_BY_HEADER`)."""

    http_status = 401
    code = "unauthenticated"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer", REFUSED_BY_HEADER: REFUSED_BY_APP}


class Forbidden(ApiError):
    """403, marked as the app's own refusal (:data:`shared.callers.REFUSED_BY_HEADER`)."""

    http_status = 403
    code = "forbidden"

    def headers(self) -> dict[str, str]:
        return {REFUSED_BY_HEADER: REFUSED_BY_APP}


class NotFound(ApiError):
    http_status = 404
    code = "not_found"


class Conflict(ApiError):
    http_status = 409
    code = "conflict"


class InProgress(Conflict):
    """409 with ``Retry-After``: the same request is still being handled; repeat it later."""

    code = "in_progress"
    transient = True

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


class PayloadTooLarge(ApiError):
    http_status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    http_status = 415
    code = "unsupported_media_type"


class BadGateway(ApiError):
    """502: the partner refused or failed the call, its answer was refused, or the other end
    could not be trusted (TLS); what it said is never passed on."""

    http_status = 502
    code = "partner_error"


class Unavailable(ApiError):
    """503 with ``Retry-After``: a dependency is down; the request may be repeated later."""

    http_status = 503
    code = "dependency_unavailable"
    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def answer(error: AppError) -> func.HttpResponse:
    """The one JSON error shape for ``error``, as its class says it means for a caller."""
    if isinstance(error, ApiError):
        target, headers = error.target, error.headers()
    else:
        target = None
        headers = retry_after_header(error.retry_after) if error.transient else None
    message = error.caller_message
    if error.public_detail:
        message = f"{message} ({error.public_detail})"
    return error_response(error.http_status, error.code, message, target=target, headers=headers)


def _described(exc: AppError) -> str:
    """``Type at host:port: message``; ``Type: message`` for an error with no endpoint (a
    dependency's error has one, None when it is not known)."""
    text = str(exc)[:_MAX_LOGGED]
    where = getattr(exc, "endpoint", _NO_ENDPOINT)  # read: their modules stay out of indexing
    if where is _NO_ENDPOINT:
        return f"{type(exc).__name__}: {text}"
    return f"{type(exc).__name__} at {where or 'an unknown endpoint'}: {text}"


def api_errors(*, storage: str = STORAGE_UNAVAILABLE) -> Callable[[H], H]:
    """Answer every app error and storage failure of the handler with the one shape.

    :keyword storage: the message of the ``503`` when storage (``AzureError``) fails.

    Put it under ``@bp.route``; it takes a plain or an ``async`` handler and gives back the
    same kind. The wrapper keeps the handler's signature (``functools.wraps``): the Python
    worker reads a function's bindings with ``inspect.signature`` and
    ``typing.get_type_hints``, which both see through it, and tells an async function by
    ``inspect.iscoroutinefunction``.
    """

    def decorate(handler: H) -> H:
        name = handler.__name__
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def answer_async(req: func.HttpRequest) -> func.HttpResponse:
                try:
                    response: func.HttpResponse = await handler(req)
                except Exception as exc:
                    return _answer_failure(name, exc, storage)
                return response

            return cast(H, answer_async)

        @functools.wraps(handler)
        def answer_sync(req: func.HttpRequest) -> func.HttpResponse:
            try:
                response: func.HttpResponse = handler(req)
            except Exception as exc:
                return _answer_failure(name, exc, storage)
            return response

        return cast(H, answer_sync)

    return decorate


def _answer_failure(name: str, exc: Exception, storage: str) -> func.HttpResponse:
    """The answer to what ``name`` raised; anything that is not the app's is raised again."""
    from azure.core.exceptions import AzureError  # on the first failure, not at indexing

    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, AzureError):
        logger.error("%s: storage failed (%s)", name, type(exc).__name__)
        return Unavailable(storage).response()
    if isinstance(exc, AppError):  # last: every other app error, whatever its family
        level = logging.WARNING if exc.transient else logging.ERROR
        logger.log(level, "%s: %s: %s", name, exc.code, _described(exc))
        return answer(exc)
    raise exc
