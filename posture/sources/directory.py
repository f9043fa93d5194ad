"""Entra directory facts for the tenant-governance rules: apps, federated credentials, policies.

Plain Microsoft Graph v1.0 GETs with the app's token (the pattern of
:mod:`posture.sources.graph`), each read once per run and paged with ``@odata.nextLink``.
Only ids, names, dates, counts and configuration flags are kept: a credential's
``hint``, ``secretText`` or key material is never copied out of a response.

Graph references (learn.microsoft.com/graph/api/...): ``application-list`` (with
``$expand=owners``), ``application-list-federatedidentitycredentials``,
``serviceprincipal-list``, ``conditionalaccessroot-list-policies``,
``authorizationpolicy-get``, ``adminconsentrequestpolicy-get``,
``rbacapplication-list-roleassignments`` (``$expand=roleDefinition``) and
``serviceprincipal-list-approleassignments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypedDict

from posture.context import CheckContext
from posture.sources.graph import graph_collect, graph_get

_APP_SELECT: Final = (
    "id,appId,displayName,signInAudience,createdDateTime,passwordCredentials,keyCredentials"
)
_SP_SELECT: Final = (
    "id,appId,displayName,servicePrincipalType,appOwnerOrganizationId,"
    "passwordCredentials,keyCredentials"
)
MULTI_TENANT: Final = frozenset({"AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount"})


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _ends(obj: dict[str, Any]) -> tuple[datetime | None, ...]:
    """The end dates of an object's password and key credentials (None: no end date)."""
    items = [*(obj.get("passwordCredentials") or []), *(obj.get("keyCredentials") or [])]
    return tuple(_when(item.get("endDateTime")) for item in items if isinstance(item, dict))


@dataclass(frozen=True, slots=True)
class Application:
    """An app registration: who owns it, who may sign in to it, what credentials it holds."""

    id: str
    app_id: str
    name: str
    sign_in_audience: str
    created: datetime | None
    owners: int
    passwords: int
    certificates: int
    credential_ends: tuple[datetime | None, ...]

    @property
    def multi_tenant(self) -> bool:
        return self.sign_in_audience in MULTI_TENANT

    @property
    def holds_credential(self) -> bool:
        return bool(self.passwords or self.certificates)


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    id: str
    app_id: str
    name: str
    kind: str  # servicePrincipalType: Application, ManagedIdentity, Legacy, SocialIdp
    owner_tenant: str
    holds_credential: bool


@dataclass(frozen=True, slots=True)
class FederatedCredential:
    app: str  # the application's display name
    app_id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]


class _Named(TypedDict):
    id: str
    app_id: str
    name: str


def _named(row: dict[str, Any]) -> _Named:
    """The ids and the name an application and its service principal both carry (an
    object without a display name is named by its id)."""
    return {
        "id": str(row.get("id") or ""),
        "app_id": str(row.get("appId") or ""),
        "name": str(row.get("displayName") or row.get("id") or ""),
    }


def applications(context: CheckContext) -> list[Application]:
    """Every app registration with its owner count and credential counts, once per run."""
    rows = graph_collect(context, f"applications?$select={_APP_SELECT}&$expand=owners($select=id)")
    return [
        Application(
            **_named(row),
            sign_in_audience=str(row.get("signInAudience") or ""),
            created=_when(row.get("createdDateTime")),
            owners=len(row.get("owners") or []),
            passwords=len(row.get("passwordCredentials") or []),
            certificates=len(row.get("keyCredentials") or []),
            credential_ends=_ends(row),
        )
        for row in rows
    ]


def service_principals(context: CheckContext) -> list[ServicePrincipal]:
    rows = graph_collect(context, f"servicePrincipals?$select={_SP_SELECT}")
    return [
        ServicePrincipal(
            **_named(row),
            kind=str(row.get("servicePrincipalType") or ""),
            owner_tenant=str(row.get("appOwnerOrganizationId") or ""),
            holds_credential=bool(row.get("passwordCredentials") or row.get("keyCredentials")),
        )
        for row in rows
    ]


def federated_credentials(context: CheckContext, app: Application) -> list[FederatedCredential]:
    rows = graph_collect(context, f"applications/{app.id}/federatedIdentityCredentials")
    return [
        FederatedCredential(
            app=app.name,
            app_id=app.app_id,
            name=str(row.get("name") or row.get("id") or ""),
            issuer=str(row.get("issuer") or ""),
            subject=str(row.get("subject") or ""),
            audiences=tuple(str(a) for a in row.get("audiences") or []),
        )
        for row in rows
    ]


def conditional_access_policies(context: CheckContext) -> list[dict[str, Any]]:
    return graph_collect(context, "identity/conditionalAccess/policies")


def authorization_policy(context: CheckContext) -> dict[str, Any]:
    return graph_get(context, "policies/authorizationPolicy")


def admin_consent_policy(context: CheckContext) -> dict[str, Any]:
    return graph_get(context, "policies/adminConsentRequestPolicy")


def directory_role_assignments(context: CheckContext, principal: str) -> list[dict[str, Any]]:
    """The principal's Entra role assignments, each with its role definition expanded."""
    return graph_collect(
        context,
        f"roleManagement/directory/roleAssignments?$filter=principalId eq '{principal}'"
        "&$expand=roleDefinition",
    )


def app_role_assignments(context: CheckContext, principal: str) -> list[dict[str, Any]]:
    """The app roles (application permissions) granted to the service principal."""
    return graph_collect(context, f"servicePrincipals/{principal}/appRoleAssignments")
