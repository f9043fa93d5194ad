"""Why a caller could not be told: no proof of who it is, or no way to check the proof.

Messages are safe to return to the caller: they say what failed, never the token.
"""

from __future__ import annotations

from shared.errors import AppError


class CallerError(AppError):
    """Base class: the caller is not known, so nothing it asks is done."""

    code = "unauthenticated"
    http_status = 401
    caller_message = "a valid bearer token for this app is required"


class PrincipalError(CallerError, ValueError):
    """The principal header is absent or unreadable."""


class CallerTokenError(CallerError, ValueError):
    """No token, or one that failed verification; the message is safe to return."""


class IssuerKeysUnavailableError(CallerError, RuntimeError):
    """The issuer's signing keys could not be fetched: the caller is not judged at all."""

    code = "dependency_unavailable"
    http_status = 503
    transient = True
    caller_message = "the token issuer's keys are unavailable; retry later"
