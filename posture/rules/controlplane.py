"""Control-plane rules: how the resources around the app are configured (Reader is enough).

Skipped unless ``POSTURE_SUBSCRIPTION_IDS`` is set. Each rule names the resources at
fault with the property and its value; a property Azure leaves unset is judged by
its default (``allowSharedKeyAccess`` null means shared keys are allowed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from posture.context import CheckContext
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.sources import arm
from posture.sources.arm import ArmResource
from shared.settings import POSTURE_SUBSCRIPTION_IDS

READER = "Reader on the subscriptions (or resource groups) of POSTURE_SUBSCRIPTION_IDS"
NOT_CONFIGURED = f"no subscription to inspect ({POSTURE_SUBSCRIPTION_IDS.name} is not set)"
_OLD_TLS = {"TLS1_0", "TLS1_1", "1.0", "1.1"}
Check = Callable[[ArmResource], Iterable[tuple[str, Any]]]
#: Every APP-* rule judges the apps and their deployment slots alike.
APPS = (arm.SITE, arm.SITE_SLOT)


def _judge(context: CheckContext, types: Iterable[str], check: Check, what: str) -> RuleResult:
    """Fail with one evidence item per (resource, property) ``check`` objects to."""
    if not context.value(POSTURE_SUBSCRIPTION_IDS):
        return RuleResult.skipped(NOT_CONFIGURED)
    resources = [r for t in types for r in arm.of_type(context, t)]
    if not resources:
        return RuleResult.passed(f"no {what} in scope")
    found: list[Evidence] = []
    for resource in resources:
        for prop, value in check(resource):
            found.append(
                {
                    "resource": resource.name,
                    "resource_group": resource.resource_group,
                    "type": resource.type,
                    "property": prop,
                    "value": None if value is None else str(value),
                }
            )
    if not found:
        return RuleResult.passed(f"{len(resources)} {what} checked, none at fault")
    names = sorted({str(e["resource"]) for e in found})
    return RuleResult.failed(f"{len(names)} {what} at fault: {', '.join(names)}", found)


def flex_consumption(resource: ArmResource) -> bool:
    """A Flex Consumption app: it has functionAppConfig (or the FlexConsumption SKU).

    Flex rejects siteConfig.ftpsState ("Site.SiteConfig.FtpsState for Flex Consumption
    sites is invalid"; the plan's deprecations table in the Functions app settings
    reference lists ftpsState as not supported), so its FTP is judged by
    basicPublishingCredentialsPolicies/ftp alone (APP-BASICAUTH).
    """
    return (
        bool(resource.prop("functionAppConfig")) or str(resource.prop("sku")) == "FlexConsumption"
    )


#: The resource judge, for the rule modules that share it (appservice, exposure).
judge_resources = _judge


def _unless(resource: ArmResource, prop: str, wanted: object) -> list[tuple[str, Any]]:
    value = resource.prop(prop)
    return [] if value == wanted else [(prop, value)]


@rule(
    "STG-SHAREDKEY",
    title="Storage accounts refuse shared key (account key and SAS) access",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Set allowSharedKeyAccess=false on the account (Bicep `allowSharedKeyAccess: "
    "false`) after moving every client to Entra ID; rotate both keys.",
    reads="Resource Graph: storage accounts' properties.allowSharedKeyAccess",
    permission=READER,
    budget=60.0,
)
def storage_shared_key(context: CheckContext) -> RuleResult:
    return _judge(
        context,
        [arm.STORAGE],
        lambda r: _unless(r, "allowSharedKeyAccess", False),
        "storage account(s)",
    )


@rule(
    "STG-PUBLIC",
    title="Storage accounts allow no anonymous blob access",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Set allowBlobPublicAccess=false on the account.",
    reads="Resource Graph: storage accounts' properties.allowBlobPublicAccess",
    permission=READER,
    budget=60.0,
)
def storage_public(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        value = r.prop("allowBlobPublicAccess")
        return [("allowBlobPublicAccess", value)] if value is True else []

    return _judge(context, [arm.STORAGE], check, "storage account(s)")


@rule(
    "STG-TLS",
    title="Storage accounts require HTTPS and TLS 1.2 or later",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Set supportsHttpsTrafficOnly=true and minimumTlsVersion=TLS1_2.",
    reads="Resource Graph: storage accounts' supportsHttpsTrafficOnly, minimumTlsVersion",
    permission=READER,
    budget=60.0,
)
def storage_tls(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        found = _unless(r, "supportsHttpsTrafficOnly", True)
        tls = r.prop("minimumTlsVersion")
        if tls is None or str(tls) in _OLD_TLS:
            found.append(("minimumTlsVersion", tls))
        return found

    return _judge(context, [arm.STORAGE], check, "storage account(s)")


@rule(
    "KV-RBAC",
    title="Key Vaults use Azure RBAC, not access policies",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Set enableRbacAuthorization=true and grant data roles (Key Vault Secrets User, "
    "Key Vault Reader) at the vault or secret scope.",
    reads="Resource Graph: vaults' properties.enableRbacAuthorization",
    permission=READER,
    budget=60.0,
)
def vault_rbac(context: CheckContext) -> RuleResult:
    return _judge(
        context,
        [arm.KEY_VAULT],
        lambda r: _unless(r, "enableRbacAuthorization", True),
        "vault(s)",
    )


@rule(
    "KV-PROTECT",
    title="Key Vaults keep soft delete and purge protection on",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Enable purge protection (it cannot be turned off again) and keep soft delete on.",
    reads="Resource Graph: vaults' enableSoftDelete, enablePurgeProtection",
    permission=READER,
    budget=60.0,
)
def vault_protect(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        found = [("enableSoftDelete", False)] if r.prop("enableSoftDelete") is False else []
        return found + _unless(r, "enablePurgeProtection", True)

    return _judge(context, [arm.KEY_VAULT], check, "vault(s)")


@rule(
    "APP-IDENTITY",
    title="Function and web apps have a managed identity",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Attach a user-assigned managed identity (or enable the system-assigned one) and "
    "move every connection to it.",
    reads="Resource Graph: sites' and slots' identity.type",
    permission=READER,
    budget=60.0,
)
def app_identity(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        kind = (r.identity or {}).get("type")
        return [] if kind and str(kind).lower() != "none" else [("identity.type", kind)]

    return _judge(context, APPS, check, "app(s)")


@rule(
    "APP-BASICAUTH",
    title="FTP and SCM basic publishing credentials are disabled",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Set `basicPublishingCredentialsPolicies/ftp` and `/scm` to allow=false; deploy "
    "with Entra ID (azd, OIDC from CI).",
    reads="ARM: sites/<app> and slots' basicPublishingCredentialsPolicies/ftp and /scm",
    permission=READER,
    budget=60.0,
)
def app_basic_auth(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for which in ("ftp", "scm"):
            body = arm.arm_get(context, f"{r.id}/basicPublishingCredentialsPolicies/{which}")
            allowed = (body.get("properties") or {}).get("allow")
            if allowed is not False:
                found.append((f"{which}.allow", allowed))
        return found

    return _judge(context, APPS, check, "app(s)")


@rule(
    "APP-TRANSPORT",
    title="Apps are HTTPS only, TLS 1.2+, no plain FTP, no remote debugging",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Set httpsOnly=true; in siteConfig minTlsVersion='1.2' and "
    "remoteDebuggingEnabled=false; ftpsState='Disabled' (or 'FtpsOnly') except on Flex "
    "Consumption, which rejects ftpsState: there FTP is off when "
    "basicPublishingCredentialsPolicies/ftp has allow=false (APP-BASICAUTH).",
    reads="Resource Graph: sites' httpsOnly, functionAppConfig, sku; ARM: sites/<app>/config/web",
    permission=READER,
    budget=60.0,
)
def app_transport(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        found = _unless(r, "httpsOnly", True)
        config = arm.arm_get(context, f"{r.id}/config/web").get("properties") or {}
        if str(config.get("minTlsVersion")) in _OLD_TLS:
            found.append(("siteConfig.minTlsVersion", config.get("minTlsVersion")))
        if config.get("ftpsState") == "AllAllowed" and not flex_consumption(r):
            found.append(("siteConfig.ftpsState", "AllAllowed"))
        if config.get("remoteDebuggingEnabled") is True:
            found.append(("siteConfig.remoteDebuggingEnabled", True))
        return found

    return _judge(context, APPS, check, "app(s)")


@rule(
    "AI-LOCALAUTH",
    title="Application Insights accepts telemetry with Entra ID only",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Set DisableLocalAuth=true on the component after the app sends with "
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING (RT-AI-AUTH).",
    reads="Resource Graph: components' properties.DisableLocalAuth",
    permission=READER,
    budget=60.0,
)
def app_insights_local_auth(context: CheckContext) -> RuleResult:
    return _judge(
        context,
        [arm.APP_INSIGHTS],
        lambda r: _unless(r, "DisableLocalAuth", True),
        "Application Insights component(s)",
    )


_LOCAL_AUTH = {
    arm.SERVICE_BUS: ("disableLocalAuth", True),
    arm.EVENT_HUBS: ("disableLocalAuth", True),
    arm.COSMOS: ("disableLocalAuth", True),
    arm.APP_CONFIGURATION: ("disableLocalAuth", True),
    arm.AI_SERVICES: ("disableLocalAuth", True),
    arm.REDIS: ("disableAccessKeyAuthentication", True),
}


@rule(
    "DATA-LOCALAUTH",
    title="Data services refuse keys: Entra ID only; no registry admin user",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Set disableLocalAuth=true (Service Bus, Event Hubs, Cosmos DB, App "
    "Configuration, AI services), disableAccessKeyAuthentication=true (Redis) and "
    "adminUserEnabled=false (Container Registry), after moving clients to Entra ID.",
    reads="Resource Graph: disableLocalAuth / disableAccessKeyAuthentication / adminUserEnabled",
    permission=READER,
    budget=60.0,
)
def data_local_auth(context: CheckContext) -> RuleResult:
    def check(r: ArmResource) -> list[tuple[str, Any]]:
        if r.type == arm.CONTAINER_REGISTRY:
            admin = r.prop("adminUserEnabled")
            return [("adminUserEnabled", admin)] if admin is True else []
        prop, wanted = _LOCAL_AUTH[r.type]
        return _unless(r, prop, wanted)

    return _judge(context, [*_LOCAL_AUTH, arm.CONTAINER_REGISTRY], check, "data service(s)")
