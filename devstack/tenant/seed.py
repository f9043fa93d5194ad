"""What the local partner tenant starts with: the app provisioned, its identity trusted.

Read from the app's settings, as the vault's partner key is, so the tenant always knows the
registration and scope the app will ask for: ``PARTNER_TENANT_ID``, ``PARTNER_APP_CLIENT_ID``
and ``PARTNER_SCOPE`` (the values of local.settings.sample.json when unset). The app
registration has one federated credential, trusting the local identity endpoint's app
identity as Microsoft's "Configure an application to trust a managed identity" says:
issuer the home tenant's v2.0 authority, subject the identity's object id, audience
``api://AzureADTokenExchange``. The partner consented: the app's service principal exists
in its tenant with the one app role its API requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from devstack.partner.bearer import BearerGate
from devstack.tenant.store import (
    Directory,
    FederatedCredential,
    PartnerApi,
    Registration,
    ServicePrincipal,
)
from devstack.tokens import APP_IDENTITY_OBJECT_ID, TokenIssuer, v2_issuer_url

__all__ = [
    "APP_REGISTRATION_ID",
    "PARTNER_API_APP_ID",
    "PARTNER_API_ROLE",
    "PARTNER_TENANT_ID",
    "entra_app_settings",
    "local_directory",
    "partner_gate",
    "tenant_endpoints",
    "tenant_settings",
]

#: The local partner tenant and what lives in it (obviously local ids, as the home tenant's).
PARTNER_TENANT_ID: Final = "00000000-0000-4000-8000-00000000ba27"
APP_REGISTRATION_ID: Final = "88888888-8888-4888-8888-888888888888"
PARTNER_API_URI: Final = "api://partner-analysis-local"
PARTNER_API_APP_ID: Final = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
PARTNER_API_ROLE: Final = "Analysis.Run"
SERVICE_PRINCIPAL_ID: Final = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
EXCHANGE_AUDIENCE: Final = "api://AzureADTokenExchange"
CREDENTIAL_NAME: Final = "app-identity"


def tenant_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """The tenant id, app registration and scope the app is configured with (or the local
    defaults), as the app settings that name them."""
    return {
        "PARTNER_TENANT_ID": settings.get("PARTNER_TENANT_ID") or PARTNER_TENANT_ID,
        "PARTNER_APP_CLIENT_ID": settings.get("PARTNER_APP_CLIENT_ID") or APP_REGISTRATION_ID,
        "PARTNER_SCOPE": settings.get("PARTNER_SCOPE") or f"{PARTNER_API_URI}/.default",
    }


def local_directory(settings: Mapping[str, str], *, home: TokenIssuer, origin: str) -> Directory:
    """The partner tenant at ``origin``, trusting ``home``'s v2.0 tokens."""
    chosen = tenant_settings(settings)
    tenant = chosen["PARTNER_TENANT_ID"]
    client_id = chosen["PARTNER_APP_CLIENT_ID"]
    api_uri = chosen["PARTNER_SCOPE"].removesuffix("/.default")
    issuer = TokenIssuer.generate(tenant_id=tenant, issuer=f"{origin}/{tenant}/v2.0")
    home_issuer = v2_issuer_url(home.tenant_id)
    registration = Registration(
        client_id,
        "secretless-functions (local)",
        (
            FederatedCredential(
                CREDENTIAL_NAME, home_issuer, APP_IDENTITY_OBJECT_ID, (EXCHANGE_AUDIENCE,)
            ),
        ),
    )
    return Directory(
        issuer,
        trusted={home_issuer: home.public_key()},
        api=PartnerApi(api_uri, PARTNER_API_APP_ID, (PARTNER_API_ROLE,)),
        registrations=(registration,),
        consents={client_id: ServicePrincipal(SERVICE_PRINCIPAL_ID, (PARTNER_API_ROLE,))},
    )


def partner_gate(directory: Directory) -> BearerGate:
    """What the partner stub demands in entra mode: a token of ``directory``'s tenant for its
    API, holding the API's app role."""
    api = directory.api
    return BearerGate(
        key=directory.issuer.public_key(),
        issuer=directory.issuer.issuer,
        audiences=(api.app_id, api.identifier_uri),
        tenant_id=directory.tenant_id,
        role=api.roles[0],
    )


def entra_app_settings(settings: Mapping[str, str], tenant_origin: str) -> dict[str, str]:
    """The app settings of ``PARTNER_AUTH=entra`` on the devstack: the partner tenant at
    ``tenant_origin`` as the authority, and the tenant, registration and scope it knows."""
    return {
        "PARTNER_AUTH": "entra",
        "PARTNER_AUTHORITY_HOST": tenant_origin,
        **tenant_settings(settings),
    }


def tenant_endpoints(
    directory: Directory, settings: Mapping[str, str], origin: str
) -> dict[str, str]:
    """What ``endpoints.json`` says of the partner tenant: where it answers, its id, the app
    registration it knows."""
    return {
        "url": origin,
        "tenant_id": directory.tenant_id,
        "app_client_id": tenant_settings(settings)["PARTNER_APP_CLIENT_ID"],
        "issuer": directory.issuer.issuer,
    }
