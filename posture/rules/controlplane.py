"""Control-plane rules that read more than Resource Graph's row: an app's child resources.

The plain property checks (storage, vaults, identities, local auth) are rows of
:mod:`posture.rules.properties`; the two here need one ARM GET per app and slot: its
basic publishing credential policies and its ``config/web``. Reader is enough for both.
"""

from __future__ import annotations

from typing import Any

from posture.context import CheckContext
from posture.model import Severity
from posture.rules.judge import ALL_APPS, old_tls
from posture.rules.kinds import resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource


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


@resource_rule(
    "APP-BASICAUTH",
    title="FTP and SCM basic publishing credentials are disabled",
    severity=Severity.HIGH,
    scope=ALL_APPS,
    remediation="Set `basicPublishingCredentialsPolicies/ftp` and `/scm` to allow=false; deploy "
    "with Entra ID (azd, OIDC from CI).",
    reads="ARM: sites/<app> and slots' basicPublishingCredentialsPolicies/ftp and /scm",
)
def app_basic_auth(context: CheckContext, r: ArmResource) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for which in ("ftp", "scm"):
        body = arm.arm_get(context, f"{r.id}/basicPublishingCredentialsPolicies/{which}")
        allowed = (body.get("properties") or {}).get("allow")
        if allowed is not False:
            found.append((f"{which}.allow", allowed))
    return found


@resource_rule(
    "APP-TRANSPORT",
    title="Apps are HTTPS only, TLS 1.2+, no plain FTP, no remote debugging",
    severity=Severity.MEDIUM,
    scope=ALL_APPS,
    remediation="Set httpsOnly=true; in siteConfig minTlsVersion='1.2' and "
    "remoteDebuggingEnabled=false; ftpsState='Disabled' (or 'FtpsOnly') except on Flex "
    "Consumption, which rejects ftpsState: there FTP is off when "
    "basicPublishingCredentialsPolicies/ftp has allow=false (APP-BASICAUTH).",
    reads="Resource Graph: sites' httpsOnly, functionAppConfig, sku; ARM: sites/<app>/config/web",
)
def app_transport(context: CheckContext, r: ArmResource) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if r.prop("httpsOnly") is not True:
        found.append(("httpsOnly", r.prop("httpsOnly")))
    config = arm.arm_get(context, f"{r.id}/config/web").get("properties") or {}
    if config.get("minTlsVersion") is not None and old_tls(config.get("minTlsVersion")):
        found.append(("siteConfig.minTlsVersion", config.get("minTlsVersion")))
    if config.get("ftpsState") == "AllAllowed" and not flex_consumption(r):
        found.append(("siteConfig.ftpsState", "AllAllowed"))
    if config.get("remoteDebuggingEnabled") is True:
        found.append(("siteConfig.remoteDebuggingEnabled", True))
    return found
