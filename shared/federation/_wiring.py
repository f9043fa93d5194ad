"""The partner token provider, built from the settings (``PARTNER_AUTH=entra``)."""

from __future__ import annotations

from shared.federation._credential import (
    LastAnswer,
    assertion_source,
    exchange_audience,
    exchange_credential,
    identity_credential,
)
from shared.federation._provider import PartnerTokenProvider, TokenSource, assertion_failure
from shared.settings import EntraPartner

__all__ = ["token_provider"]

#: What a failure of the identity endpoint is named after in messages.
IDENTITY_ENDPOINT = "the managed identity endpoint"
#: The longest a partner call waits for a token exchange in flight (as for the vault read).
TOKEN_WAIT_SECONDS = 5.0


def token_provider(
    partner: EntraPartner, *, wait: float = TOKEN_WAIT_SECONDS
) -> PartnerTokenProvider:
    """Tokens for ``partner.scope`` from ``partner.tenant_id``, the identity federating with
    ``partner.app_client_id``. One identity credential serves every exchange (it caches the
    assertion); a refused token rebuilds only the exchange's credential."""
    identity_answers, exchange_answers = LastAnswer(), LastAnswer()
    identity = identity_credential(partner, identity_answers)

    def failed(exc: Exception) -> Exception:
        status = identity_answers.status
        return assertion_failure(exc, IDENTITY_ENDPOINT, status=status)

    assertion = assertion_source(identity, exchange_audience(partner.authority_host), wrap=failed)

    def build() -> TokenSource:
        return exchange_credential(partner, assertion, exchange_answers)

    return PartnerTokenProvider(
        build,
        scope=partner.scope,
        authority=partner.authority_host,
        answers=exchange_answers,
        wait=wait,
    )
