"""The partner's Entra token, with the app's managed identity as its only credential.

With ``PARTNER_AUTH=entra`` (docs/partner-entra.md) nothing secret is stored anywhere: the
user-assigned identity's token for ``api://AzureADTokenExchange`` is the client assertion
of a multi-tenant app registration, which the partner's tenant exchanges for a token to its
API (``_credential``). :class:`PartnerTokenProvider` (``_provider``) holds that token until
near its expiry and hands it out as a :class:`~shared.redaction.Secret`; :func:`token_provider`
builds it from the settings. The exceptions (:mod:`shared.federation.errors`) import no SDK;
azure-identity is loaded on the first exchange.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.federation.errors import (
    AssertionTemporarilyUnavailableError,
    AssertionUnavailableError,
    FederationError,
    TokenExchangeRefusedError,
    TokenExchangeUnavailableError,
)

if TYPE_CHECKING:
    from shared.federation._credential import (
        DEFAULT_EXCHANGE_AUDIENCE,
        EXCHANGE_AUDIENCES,
        exchange_audience,
    )
    from shared.federation._provider import PartnerTokenProvider, aadsts_code
    from shared.federation._wiring import token_provider

__all__ = [
    "DEFAULT_EXCHANGE_AUDIENCE",
    "EXCHANGE_AUDIENCES",
    "AssertionTemporarilyUnavailableError",
    "AssertionUnavailableError",
    "FederationError",
    "PartnerTokenProvider",
    "TokenExchangeRefusedError",
    "TokenExchangeUnavailableError",
    "aadsts_code",
    "exchange_audience",
    "token_provider",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            "DEFAULT_EXCHANGE_AUDIENCE": "._credential",
            "EXCHANGE_AUDIENCES": "._credential",
            "exchange_audience": "._credential",
            "PartnerTokenProvider": "._provider",
            "aadsts_code": "._provider",
            "token_provider": "._wiring",
        },
    )
