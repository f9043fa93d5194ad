"""The credential that turns the app's managed identity into a token from the partner's tenant.

Microsoft's "Configure an application to trust a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity)
gives the chain this module builds with azure-identity: a ``ManagedIdentityCredential`` for
the user-assigned identity asks for a token whose audience is ``api://AzureADTokenExchange``
(``...USGov`` and ``...China`` in those clouds); that token is the client assertion of a
``ClientAssertionCredential`` for the multi-tenant app registration, in the *partner's*
tenant, which answers with a token for the partner's scope. The app registration's
federated credential names the identity (issuer: the home tenant's v2.0 authority; subject:
the identity's object id; audience: the exchange audience) and the partner's tenant has
provisioned the app and granted it an app role.

``ClientAssertionCredential`` posts straight to ``{authority}/{tenant}/oauth2/v2.0/token``
(azure-identity's ``AadClient``: no OpenID discovery, no instance discovery), so another
cloud's authority, or the devstack's, is only its ``authority=``; it must be https.

Both credentials talk through azure-core pipelines bounded like the vault's client: a 3 s
connect and 5 s read timeout per attempt, two retries, a 12 s operation, no sleeping on a long
``Retry-After`` (:class:`shared.vault.BoundedRetryPolicy`). azure-identity raises a failed
token request without its HTTP status when the answer has no OAuth error in it (a 503 from
a gateway, say), so every answer's status and ``Retry-After`` are noted on the way
(:class:`LastAnswer`, azure-core's ``raw_response_hook``) for the provider to tell an outage
from a refusal. The assertion is registered with the redaction
(:func:`shared.redaction.register`) the moment it exists, so no log line or exception text
can carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from shared.redaction import register

if TYPE_CHECKING:
    from azure.identity import ClientAssertionCredential, ManagedIdentityCredential

    from shared.settings import EntraPartner

#: The exchange audience per cloud, by authority host (the page above); any other host
#: (a local stand-in) takes the global service's.
EXCHANGE_AUDIENCES: Final = {
    "login.microsoftonline.com": "api://AzureADTokenExchange",
    "login.microsoftonline.us": "api://AzureADTokenExchangeUSGov",
    "login.chinacloudapi.cn": "api://AzureADTokenExchangeChina",
    "login.partner.microsoftonline.cn": "api://AzureADTokenExchangeChina",
}
DEFAULT_EXCHANGE_AUDIENCE: Final = "api://AzureADTokenExchange"

#: Per attempt, as the vault's client (shared/vault/_client.py): the request path waits for it.
CONNECTION_TIMEOUT: Final = 3.0
READ_TIMEOUT: Final = 5.0
RETRY_TOTAL: Final = 2
OPERATION_TIMEOUT: Final = 12


class LastAnswer:
    """The HTTP status and ``Retry-After`` of the last answer a credential's pipeline got."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.retry_after: str | None = None

    def record(self, response: Any) -> None:
        """azure-core's ``raw_response_hook``: called with each ``PipelineResponse``."""
        answer = response.http_response
        self.status = answer.status_code
        self.retry_after = answer.headers.get("Retry-After")

    def clear(self) -> None:
        self.status = self.retry_after = None


def exchange_audience(authority_host: str) -> str:
    """The audience of the identity's assertion for the cloud of ``authority_host``."""
    host = (urlsplit(authority_host).hostname or "").lower()
    return EXCHANGE_AUDIENCES.get(host, DEFAULT_EXCHANGE_AUDIENCE)


def transport_options(answers: LastAnswer) -> dict[str, Any]:
    """The keywords a credential's pipeline is built with; ``answers`` notes every answer."""
    from shared.vault import BoundedRetryPolicy

    return {
        "connection_timeout": CONNECTION_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retry_policy_class": BoundedRetryPolicy,
        "retry_total": RETRY_TOTAL,
        "retry_backoff_factor": 0.5,
        "retry_backoff_max": 2,
        "timeout": OPERATION_TIMEOUT,
        "raw_response_hook": answers.record,
    }


def identity_credential(partner: EntraPartner, answers: LastAnswer) -> ManagedIdentityCredential:
    """The user-assigned identity (``AZURE_CLIENT_ID``; on the devstack, the local endpoint's
    default identity)."""
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(
        client_id=partner.identity_client_id, **transport_options(answers)
    )


def assertion_source(
    identity: ManagedIdentityCredential, audience: str, *, wrap: Callable[[Exception], Exception]
) -> Callable[[], str]:
    """What ``ClientAssertionCredential`` calls for an assertion: the identity's token for
    ``audience`` (cached by the identity credential until near its expiry), registered with
    the redaction. A failure is handed to ``wrap`` and its answer raised."""
    scope = f"{audience}/.default"

    def assertion() -> str:
        try:
            token: str = identity.get_token_info(scope).token
        except Exception as exc:  # whatever the identity credential raises, named by wrap
            raise wrap(exc) from None
        register(token)
        return token

    return assertion


def exchange_credential(
    partner: EntraPartner, assertion: Callable[[], str], answers: LastAnswer
) -> ClientAssertionCredential:
    """The app registration in the partner's tenant, authenticated by ``assertion``."""
    from azure.identity import ClientAssertionCredential

    return ClientAssertionCredential(
        partner.tenant_id,
        partner.app_client_id,
        assertion,
        authority=partner.authority_host,
        **transport_options(answers),
    )
