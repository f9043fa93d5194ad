"""What the Flex Consumption plan (FC1) rejects or ignores, and a check of the template against it.

A schema check cannot see these: `siteConfig.ftpsState` is a valid property of
Microsoft.Web/sites@2024-04-01, yet a Flex Consumption site refuses it ("The following site
configuration property (Site.SiteConfig.FtpsState) for Flex Consumption sites is invalid").
The table below is the platform's own list: the "Flex Consumption plan deprecations" table of
the Azure Functions app settings reference, plus the site configuration properties ARM was
reported rejecting with that error. Each row keeps its source. Names compare
case-insensitively, as ARM and App Service do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.infra import bicep_model as bm
from tests.infra.bicep_check import Finding, Source

DEPRECATIONS = (
    "https://learn.microsoft.com/azure/azure-functions/functions-app-settings"
    "#flex-consumption-plan-deprecations"
)
REJECTED_SITE_CONFIG = "https://github.com/microsoft/azure-pipelines-tasks/issues/21032"
HOSTING = "https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan"


@dataclass(frozen=True)
class Constraint:
    """One thing a Flex Consumption app must not carry, why, and where that is written."""

    name: str
    where: str  # "app setting" or "site property" (siteConfig or the site's own properties)
    reason: str
    source: str


FLEX_CONSTRAINTS: tuple[Constraint, ...] = (
    # App settings the deprecations table lists.
    Constraint("ENABLE_ORYX_BUILD", "app setting", "replaced by remoteBuild", DEPRECATIONS),
    Constraint("FUNCTIONS_EXTENSION_VERSION", "app setting", "set by the platform", DEPRECATIONS),
    Constraint(
        "FUNCTIONS_WORKER_RUNTIME",
        "app setting",
        "replaced by functionAppConfig.runtime.name",
        DEPRECATIONS,
    ),
    Constraint(
        "FUNCTIONS_WORKER_RUNTIME_VERSION",
        "app setting",
        "replaced by functionAppConfig.runtime.version",
        DEPRECATIONS,
    ),
    Constraint(
        "FUNCTIONS_MAX_HTTP_CONCURRENCY",
        "app setting",
        "replaced by scaleAndConcurrency.triggers",
        DEPRECATIONS,
    ),
    Constraint("FUNCTIONS_WORKER_PROCESS_COUNT", "app setting", "not valid", DEPRECATIONS),
    Constraint(
        "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED", "app setting", "not valid", DEPRECATIONS
    ),
    Constraint(
        "SCM_DO_BUILD_DURING_DEPLOYMENT", "app setting", "replaced by remoteBuild", DEPRECATIONS
    ),
    Constraint(
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "app setting",
        "replaced by functionAppConfig.deployment",
        DEPRECATIONS,
    ),
    Constraint("WEBSITE_CONTENTOVERVNET", "app setting", "not used on Flex", DEPRECATIONS),
    Constraint(
        "WEBSITE_CONTENTSHARE",
        "app setting",
        "replaced by functionAppConfig.deployment",
        DEPRECATIONS,
    ),
    Constraint(
        "WEBSITE_DNS_SERVER", "app setting", "DNS comes from the integrated VNet", DEPRECATIONS
    ),
    Constraint(
        "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
        "app setting",
        "replaced by scaleAndConcurrency.maximumInstanceCount",
        DEPRECATIONS,
    ),
    Constraint(
        "WEBSITE_NODE_DEFAULT_VERSION",
        "app setting",
        "replaced by functionAppConfig.runtime.version",
        DEPRECATIONS,
    ),
    Constraint("WEBSITE_RUN_FROM_PACKAGE", "app setting", "not used on Flex", DEPRECATIONS),
    Constraint(
        "WEBSITE_SKIP_CONTENTSHARE_VALIDATION", "app setting", "no content share", DEPRECATIONS
    ),
    Constraint("WEBSITE_VNET_ROUTE_ALL", "app setting", "not used on Flex", DEPRECATIONS),
    # Site properties the deprecations table lists (siteConfig or the site's properties).
    Constraint("alwaysOn", "site property", "not valid", DEPRECATIONS),
    Constraint("containerSize", "site property", "renamed instanceMemoryMB", DEPRECATIONS),
    Constraint(
        "dnsConfiguration", "site property", "DNS comes from the integrated VNet", DEPRECATIONS
    ),
    Constraint("ftpsState", "site property", "FTPS not supported; ARM rejects it", DEPRECATIONS),
    Constraint("isReserved", "site property", "not valid", DEPRECATIONS),
    Constraint("isXenon", "site property", "not valid", DEPRECATIONS),
    Constraint(
        "javaVersion", "site property", "replaced by functionAppConfig.runtime", DEPRECATIONS
    ),
    Constraint(
        "linuxFxVersion", "site property", "replaced by functionAppConfig.runtime", DEPRECATIONS
    ),
    Constraint(
        "netFrameworkVersion",
        "site property",
        "replaced by functionAppConfig.runtime; ARM rejects it",
        DEPRECATIONS,
    ),
    Constraint(
        "powerShellVersion", "site property", "replaced by functionAppConfig.runtime", DEPRECATIONS
    ),
    Constraint(
        "functionAppScaleLimit", "site property", "renamed maximumInstanceCount", DEPRECATIONS
    ),
    Constraint(
        "preWarmedInstanceCount", "site property", "renamed alwaysReadyInstances", DEPRECATIONS
    ),
    Constraint(
        "use32BitWorkerProcess",
        "site property",
        "32-bit not supported; ARM rejects it",
        DEPRECATIONS,
    ),
    Constraint("vnetBackupRestoreEnabled", "site property", "not used on Flex", DEPRECATIONS),
    Constraint("vnetContentShareEnabled", "site property", "not used on Flex", DEPRECATIONS),
    Constraint("vnetImagePullEnabled", "site property", "not used on Flex", DEPRECATIONS),
    Constraint("vnetRouteAllEnabled", "site property", "not used on Flex", DEPRECATIONS),
    Constraint("windowsFxVersion", "site property", "not valid", DEPRECATIONS),
    # Rejected outright with "... for Flex Consumption sites is invalid" (reported from a
    # deployment that sent it): not in the deprecations table.
    Constraint(
        "functionsRuntimeScaleMonitoringEnabled",
        "site property",
        "ARM rejects it on Flex",
        REJECTED_SITE_CONFIG,
    ),
)


def _constrained(where: str) -> dict[str, Constraint]:
    return {c.name.lower(): c for c in FLEX_CONSTRAINTS if c.where == where}


def _is_flex_plan(resource: dict[str, Any]) -> bool:
    sku = bm.body(resource).get("sku") or {}
    return str(sku.get("name", "")).upper() == "FC1" or sku.get("tier") == "FlexConsumption"


def _setting_names(tree: dict[str, Any], app_settings: Any) -> tuple[str | None, list[str]]:
    """The app settings a `siteConfig.appSettings` value sets, where knowable offline.

    Either a literal list of {name, value} objects, or `[for s in items(obj): {...}]` over a
    variable object (this template's form); returns (the variable's name or None, names).
    """
    if isinstance(app_settings, list):
        names = [str(i["name"]) for i in app_settings if isinstance(i, dict) and "name" in i]
        return None, names
    loop = app_settings.get("loop_type") if isinstance(app_settings, dict) else None
    if isinstance(loop, dict) and loop.get("type") == "object":
        variable = str(loop.get("detail", {}).get("object_name", ""))
        value = tree.get("variables", {}).get(variable, {}).get("value")
        if isinstance(value, dict):
            return variable, [str(k).strip("'") for k in value]
    return None, []


def check_flex_sites(path: str, tree: dict[str, Any], text: str) -> list[Finding]:
    """Every site on a Flex Consumption plan in one file, against FLEX_CONSTRAINTS."""
    source = Source(text)
    resources = tree.get("resources", {})
    flex_plans = {s for s, r in resources.items() if r["type"] == "Microsoft.Web/serverfarms"}
    flex_plans = {s for s in flex_plans if _is_flex_plan(resources[s])}
    if not flex_plans:
        return []
    properties = _constrained("site property")
    settings = _constrained("app setting")
    findings: list[Finding] = []

    def add(symbol: str, keys: list[str], constraint: Constraint, variable: str = "") -> None:
        if variable:
            line = source.key_line(source.declaration("var", variable), keys)
        else:
            line = source.key_line(source.declaration("resource", symbol), keys)
        findings.append(
            Finding(
                path,
                line,
                f"{symbol}: Flex Consumption {constraint.where} {constraint.name} "
                f"({constraint.reason}; {constraint.source})",
            )
        )

    flex_sites: set[str] = set()
    for symbol, resource in bm.resources_of_type(tree, "Microsoft.Web/sites"):
        props = bm.body(resource).get("properties") or {}
        farm = bm.render(props.get("serverFarmId"))
        if farm.split(".")[0] not in flex_plans:
            continue
        flex_sites.add(symbol)
        site_config = props.get("siteConfig") or {}
        for key in props:
            if key.lower() in properties:
                add(symbol, ["properties", key], properties[key.lower()])
        for key in site_config:
            if key.lower() in properties:
                add(symbol, ["properties", "siteConfig", key], properties[key.lower()])
        variable, names = _setting_names(tree, site_config.get("appSettings"))
        for name in names:
            if name.lower() in settings:
                keys = [name] if variable else ["properties", "siteConfig", "appSettings"]
                add(symbol, keys, settings[name.lower()], variable or "")
    # Configuration set as child resources of those sites (sites/config 'web', 'appsettings').
    for symbol, resource in bm.resources_of_type(tree, "Microsoft.Web/sites/config"):
        body = bm.body(resource)
        if body.get("parent") not in flex_sites:
            continue
        table = {"web": properties, "appsettings": settings}.get(str(body.get("name")), {})
        for key in body.get("properties") or {}:
            if key.strip("'").lower() in table:
                add(symbol, ["properties", key.strip("'")], table[key.strip("'").lower()])
    return findings
