"""Who is calling: the caller its own Entra token proves, and the platform's header as data.

The app authorizes from the caller's bearer token, verified here (issuer, audience,
lifetime, signature against the issuer's published keys); App Service Authentication's
``X-MS-CLIENT-PRINCIPAL`` is read as data only (``_principal``), never trusted on its
own. The verifier loads PyJWT and cryptography when first used, not at indexing.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.callers._principal import (
    PRINCIPAL_HEADER,
    PRINCIPAL_ID_HEADER,
    REFUSED_BY_APP,
    REFUSED_BY_HEADER,
    Principal,
    principal_from_headers,
)
from shared.callers.errors import (
    CallerError,
    CallerTokenError,
    IssuerKeysUnavailableError,
    PrincipalError,
)

if TYPE_CHECKING:
    from shared.callers._token import (
        LEEWAY,
        TokenVerifier,
        bearer_token,
        reset,
        tenant_of,
        verifier,
    )

__all__ = [
    "LEEWAY",
    "PRINCIPAL_HEADER",
    "PRINCIPAL_ID_HEADER",
    "REFUSED_BY_APP",
    "REFUSED_BY_HEADER",
    "CallerError",
    "CallerTokenError",
    "IssuerKeysUnavailableError",
    "Principal",
    "PrincipalError",
    "TokenVerifier",
    "bearer_token",
    "principal_from_headers",
    "reset",
    "tenant_of",
    "verifier",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            name: "._token"
            for name in (
                "LEEWAY",
                "TokenVerifier",
                "bearer_token",
                "reset",
                "tenant_of",
                "verifier",
            )
        },
    )
