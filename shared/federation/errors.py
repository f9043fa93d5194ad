"""Why the partner's token could not be obtained, importable without azure-identity.

The HTTP functions catch these (one answer for each, :mod:`blueprints.http.errors`); keeping
them apart from the SDK lets the function app be indexed without importing it. Every
message is scrubbed and holds safe identifiers only: the authority's ``host:port``, the
partner's tenant id, an ``AADSTS`` code and an HTTP status; never a token, an assertion or
Entra's own error description (which quotes the assertion's claims).
"""

from __future__ import annotations

from shared.errors import AppError
from shared.redaction import scrub


class FederationError(AppError):
    """Base class: no token for the partner. ``endpoint`` is the authority's ``host:port``.

    ``aadsts`` is Entra's error code (``AADSTS70021``) when Entra answered one; it is the
    one detail of the refusal the app passes on (``public_detail``).
    """

    code = "entra_error"
    http_status = 502
    caller_message = "Microsoft Entra failed the token request"

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
        self.public_detail = aadsts


class TokenExchangeRefusedError(FederationError):
    """Entra answered with an error: the federated credential does not match the identity's
    assertion (``AADSTS70021`` and its issuer, subject and audience variants), the app is
    not provisioned in the partner's tenant, the scope names no API there... A configuration
    an operator must fix; retrying does not help."""

    code = "partner_token_refused"
    http_status = 500
    caller_message = (
        "Microsoft Entra refused to issue the partner's token: the app registration, its "
        "federated credential or the partner's consent does not match the app's identity"
    )


class TokenExchangeUnavailableError(FederationError):
    """Transient: the authority could not be reached, timed out, or failed (5xx, 429)."""

    code = "dependency_unavailable"
    http_status = 503
    transient = True
    caller_message = "a dependency is unavailable; retry later"

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
    """The managed identity gave no token for the exchange: no identity with that client id
    is assigned to the app, or its endpoint refused. A configuration an operator must fix."""

    code = "identity_unavailable"
    http_status = 500
    caller_message = "the app's managed identity gave no token for the federated exchange"

    def __init__(
        self, message: str, *, endpoint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after


class AssertionTemporarilyUnavailableError(AssertionUnavailableError):
    """Transient: the identity endpoint could not be reached or failed (5xx, 429)."""

    code = "dependency_unavailable"
    http_status = 503
    transient = True
    caller_message = "a dependency is unavailable; retry later"
