"""Exposure rules: public endpoints against the declared network mode, storage key hygiene.

Both read Resource Graph properties only (Reader). NET-PUBLIC is skipped until the
deployment declares its mode in ``POSTURE_NETWORK_MODE``: a public API is a choice, not
a finding, but a "private" deployment with an open endpoint is drift. In private mode an
endpoint counts as closed only when ``publicNetworkAccess`` is ``Disabled``: a
deny-by-default firewall still answers on the public endpoint (trusted services, bypass
rules, the next IP rule someone adds). A closed vault or storage account must also hold
an approved private endpoint connection (else the app cannot reach it either), and an
app must be integrated with a virtual network (``virtualNetworkSubnetId``) to reach
those endpoints.

Properties (azure-mgmt models, the API versions the template uses): Microsoft.Web/sites
``publicNetworkAccess``; Microsoft.KeyVault/vaults and Microsoft.Storage/storageAccounts
``publicNetworkAccess`` and ``networkAcls.defaultAction``; Microsoft.Insights/components
``publicNetworkAccessForIngestion`` / ``publicNetworkAccessForQuery``; storage
``defaultToOAuthAuthentication``, ``allowCrossTenantReplication``,
``keyPolicy.keyExpirationPeriodInDays`` and ``sasPolicy`` (``sasExpirationPeriod`` as
``d.hh:mm:ss``, ``expirationAction`` Log or Block).
"""

from __future__ import annotations

import re
from typing import Any, Final

from posture.context import CheckContext
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.rules.judge import READER, Scope, judge
from posture.rules.kinds import resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource
from shared.settings import POSTURE_NETWORK_MODE

MAX_KEY_DAYS: Final = 90
MAX_SAS_DAYS: Final = 7
_SPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")
PUBLIC_TYPES: Final = (arm.SITE, arm.SITE_SLOT, arm.KEY_VAULT, arm.STORAGE, arm.APP_INSIGHTS)


def _approved_endpoints(r: ArmResource) -> int:
    connections = r.prop("privateEndpointConnections") or []
    return sum(
        1
        for c in connections
        if isinstance(c, dict)
        and str(
            ((c.get("properties") or {}).get("privateLinkServiceConnectionState") or {}).get(
                "status"
            )
        ).lower()
        == "approved"
    )


def open_endpoints(r: ArmResource) -> list[tuple[str, Any]]:
    """The public endpoints of ``r`` that accept traffic (property, value)."""
    if r.type == arm.APP_INSIGHTS:
        return [
            (prop, r.prop(prop) or "Enabled")
            for prop in ("publicNetworkAccessForIngestion", "publicNetworkAccessForQuery")
            if r.prop(prop) != "Disabled"
        ]
    access = r.prop("publicNetworkAccess")
    if access == "Disabled":
        return []
    return [("publicNetworkAccess", access or "Enabled")]


def private_problems(r: ArmResource) -> list[tuple[str, Any]]:
    """What keeps ``r`` from being private: open endpoints, no way in, no way out."""
    found = open_endpoints(r)
    if r.type in (arm.KEY_VAULT, arm.STORAGE) and not _approved_endpoints(r):
        found.append(("privateEndpointConnections", "none approved"))
    if r.type in (arm.SITE, arm.SITE_SLOT) and not r.prop("virtualNetworkSubnetId"):
        found.append(("virtualNetworkSubnetId", None))
    return found


@rule(
    "NET-PUBLIC",
    title="Public network access of app, vault, storage and App Insights matches the declared mode",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="For POSTURE_NETWORK_MODE=private set publicNetworkAccess=Disabled on the app, "
    "the vault and the storage accounts, give the vault and each account an approved private "
    "endpoint and the app virtual network integration (virtualNetworkSubnetId), and set "
    "publicNetworkAccessForIngestion/ForQuery=Disabled on Application Insights (behind an Azure "
    "Monitor private link scope); or declare POSTURE_NETWORK_MODE=public if the endpoints are "
    "meant to be public.",
    reads="Resource Graph: publicNetworkAccess, networkAcls, privateEndpointConnections and "
    "virtualNetworkSubnetId of sites, slots, vaults and storage accounts; "
    "publicNetworkAccessForIngestion/ForQuery of components; POSTURE_NETWORK_MODE",
    permission=READER,
)
def network_public(context: CheckContext) -> RuleResult:
    mode = context.value(POSTURE_NETWORK_MODE)
    if not mode:
        return RuleResult.skipped(
            f"no network mode declared ({POSTURE_NETWORK_MODE.name} is unset)"
        )
    if mode == "private":
        return judge(context, Scope(PUBLIC_TYPES, "resource(s)", required=True), private_problems)
    exposed: list[Evidence] = [
        {"resource": r.name, "type": r.type, "property": prop, "value": str(value)}
        for t in PUBLIC_TYPES
        for r in arm.of_type(context, t)
        for prop, value in open_endpoints(r)
    ]
    return RuleResult.passed(
        f"{len(exposed)} public endpoint(s), accepted by {POSTURE_NETWORK_MODE.name}=public; "
        "who may call them is judged by APP-AUTH, STG-SHAREDKEY, KV-RBAC and AI-LOCALAUTH",
        exposed,
    )


def span_days(value: Any) -> float | None:
    """Days in a .NET TimeSpan string ``d.hh:mm:ss`` (the SAS policy's period)."""
    match = _SPAN.match(str(value or ""))
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return days + hours / 24 + minutes / 1440 + seconds / 86400


@resource_rule(
    "STG-KEY-HYGIENE",
    title="Storage defaults to Entra ID, replicates within the tenant, bounds keys and SAS",
    severity=Severity.MEDIUM,
    scope=Scope((arm.STORAGE,), "storage account(s)", required=True),
    remediation="Set defaultToOAuthAuthentication=true and allowCrossTenantReplication=false; "
    "while shared keys are allowed at all, set keyPolicy.keyExpirationPeriodInDays <= 90 and a "
    "sasPolicy with sasExpirationPeriod <= 7.00:00:00 and expirationAction=Block (better: "
    "allowSharedKeyAccess=false, STG-SHAREDKEY).",
    reads="Resource Graph: storage accounts' defaultToOAuthAuthentication, "
    "allowCrossTenantReplication, allowSharedKeyAccess, keyPolicy, sasPolicy",
)
def storage_key_hygiene(context: CheckContext, r: ArmResource) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if r.prop("defaultToOAuthAuthentication") is not True:
        found.append(("defaultToOAuthAuthentication", r.prop("defaultToOAuthAuthentication")))
    if r.prop("allowCrossTenantReplication") is not False:
        found.append(("allowCrossTenantReplication", r.prop("allowCrossTenantReplication")))
    if r.prop("allowSharedKeyAccess") is False:
        return found  # no key works: their expiry and SAS policies protect nothing
    key_days = (r.prop("keyPolicy") or {}).get("keyExpirationPeriodInDays")
    if not isinstance(key_days, int) or key_days > MAX_KEY_DAYS:
        found.append(("keyPolicy.keyExpirationPeriodInDays", key_days))
    sas = r.prop("sasPolicy") or {}
    days = span_days(sas.get("sasExpirationPeriod"))
    if days is None or days > MAX_SAS_DAYS:
        found.append(("sasPolicy.sasExpirationPeriod", sas.get("sasExpirationPeriod")))
    if sas.get("expirationAction") != "Block":
        found.append(("sasPolicy.expirationAction", sas.get("expirationAction")))
    return found
