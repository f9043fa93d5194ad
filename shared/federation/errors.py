"""Why the partner's token could not be obtained, importable without azure-identity.

The HTTP functions catch these (one answer for each, :mod:`blueprints.http.errors`); keeping
them apart from the SDK lets the function app be indexed without importing it. Every
message is scrubbed and holds safe identifiers only: the authority's ``host:port``, the
partner's tenant id, an ``AADSTS`` code and an HTTP status; never a token, an assertion or
Entra's own error description (which quotes the assertion's claims).
"""

from __future__ import annotations

from shared.redaction import scrub

__all__ = [
    "AssertionUnavailableError",
    "FederationError",
    "TokenExchangeRefusedError",
    "TokenExchangeUnavailableError",
]


class FederationError(Exception):
    """Base class: no token for the partner. ``endpoint`` is the authority's ``host:port``.

    ``aadsts`` is Entra's error code (``AADSTS70021``) when Entra answered one; it is the
    one detail of the refusal the app passes on (:attr:`public_detail`).
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        aadsts: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(scrub(message))
        self.endpoint = endpoint
        self.aadsts = aadsts
        self.status = status

    @property
    def public_detail(self) -> str | None:
        """What a caller may be told besides the app's own message: the ``AADSTS`` code."""
        return self.aadsts


class TokenExchangeRefusedError(FederationError):
    """Entra answered with an error: the federated credential does not match the identity's
    assertion (``AADSTS70021`` and its issuer, subject and audience variants), the app is
    not provisioned in the partner's tenant, the scope names no API there... A configuration
    an operator must fix; retrying does not help."""


class TokenExchangeUnavailableError(FederationError):
    """Transient: the authority could not be reached, timed out, or failed (5xx, 429)."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status)
        self.retry_after = retry_after


class AssertionUnavailableError(FederationError):
    """The managed identity gave no token for the exchange (its endpoint is down, or no
    identity with that client id is assigned to the app). Transient when ``transient``."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        endpoint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.transient = transient
        self.retry_after = retry_after
