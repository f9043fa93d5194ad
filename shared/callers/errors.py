"""Why a caller could not be told: no proof of who it is, or no way to check the proof.

Messages are safe to return to the caller: they say what failed, never the token.
"""

from __future__ import annotations

__all__ = ["CallerTokenError", "IssuerKeysUnavailableError", "PrincipalError"]


class PrincipalError(ValueError):
    """The principal header is absent or unreadable."""


class CallerTokenError(ValueError):
    """No token, or one that failed verification; the message is safe to return."""


class IssuerKeysUnavailableError(RuntimeError):
    """The issuer's signing keys could not be fetched: the caller is not judged at all."""
