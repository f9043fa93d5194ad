"""Control-plane facts: Azure Resource Graph for resources, ARM GETs for what it does not hold.

One Resource Graph query (paged with ``$skipToken``) lists the resources the rules
judge, in the subscriptions of ``POSTURE_SUBSCRIPTION_IDS`` (optionally narrowed to
``POSTURE_RESOURCE_GROUPS``); a site's ``config/web``, its basic publishing
credential policies and its Key Vault references need ARM GETs. Reader is enough for
all of it. The app's settings themselves are never read from the control plane
(``list_application_settings`` returns secret values and needs more than Reader):
the runtime rules see them from inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from posture.context import CheckContext
from posture.errors import Unseen
from posture.sources import connections
from shared.settings import (
    POSTURE_ARM_ENDPOINT,
    POSTURE_RESOURCE_GROUPS,
    POSTURE_SUBSCRIPTION_IDS,
    SettingsError,
)

if TYPE_CHECKING:
    from azure.mgmt.resource.resources import ResourceManagementClient

WEB_API_VERSION: Final = "2022-03-01"
MAX_PAGES: Final = 50

STORAGE: Final = connections.STORAGE
KEY_VAULT: Final = connections.KEY_VAULT
SITE: Final = "microsoft.web/sites"
SITE_SLOT: Final = "microsoft.web/sites/slots"
APP_INSIGHTS: Final = "microsoft.insights/components"
WORKSPACE: Final = "microsoft.operationalinsights/workspaces"
SERVICE_BUS: Final = connections.SERVICE_BUS
EVENT_HUBS: Final = connections.EVENT_HUBS
COSMOS: Final = connections.COSMOS
SQL: Final = connections.SQL
APP_CONFIGURATION: Final = "microsoft.appconfiguration/configurationstores"
REDIS: Final = "microsoft.cache/redis"
AI_SERVICES: Final = "microsoft.cognitiveservices/accounts"
CONTAINER_REGISTRY: Final = "microsoft.containerregistry/registries"
EVENT_GRID_TOPIC: Final = connections.EVENT_GRID_TOPIC
EVENT_GRID_DOMAIN: Final = "microsoft.eventgrid/domains"
EVENT_GRID_SYSTEM_TOPIC: Final = "microsoft.eventgrid/systemtopics"
TYPES: Final = (
    STORAGE,
    KEY_VAULT,
    SITE,
    SITE_SLOT,
    APP_INSIGHTS,
    WORKSPACE,
    SERVICE_BUS,
    EVENT_HUBS,
    COSMOS,
    SQL,
    APP_CONFIGURATION,
    REDIS,
    AI_SERVICES,
    CONTAINER_REGISTRY,
    EVENT_GRID_TOPIC,
    EVENT_GRID_DOMAIN,
    EVENT_GRID_SYSTEM_TOPIC,
)


@dataclass(frozen=True, slots=True)
class ArmResource:
    """One resource as Resource Graph returns it (type lower-cased)."""

    id: str
    name: str
    type: str
    kind: str
    resource_group: str
    properties: dict[str, Any]
    identity: dict[str, Any] | None

    def prop(self, name: str) -> Any:
        """A property by case-insensitive name (App Insights spells some in Pascal); a dotted
        name walks nested objects, ``identity.*`` the resource's identity."""
        first, _, rest = name.partition(".")
        if first == "identity":
            node: Any = self.identity or {}
        else:
            node = self.properties
            rest = name
        for step in rest.split(".") if rest else ():
            if not isinstance(node, dict):
                return None
            lowered = step.lower()
            node = next((v for k, v in node.items() if k.lower() == lowered), None)
        return node


def subscriptions(context: CheckContext) -> list[str]:
    """The subscriptions in scope; :class:`Unseen` when none is configured."""
    subs = context.value(POSTURE_SUBSCRIPTION_IDS)
    if not subs:
        raise Unseen(
            f"no subscription to inspect ({POSTURE_SUBSCRIPTION_IDS.name} is not set): set it "
            "to the deployment's subscription id and grant the app's identity Reader there"
        )
    return list(subs)


def _scope_text(context: CheckContext) -> str:
    groups = context.value(POSTURE_RESOURCE_GROUPS)
    where = f"subscription(s) {', '.join(subscriptions(context))}"
    return where + (f", resource group(s) {', '.join(groups)}" if groups else "")


def query(context: CheckContext) -> str:
    types = ", ".join(f"'{t}'" for t in TYPES)
    lines = ["resources", f"| where type in~ ({types})"]
    groups = context.value(POSTURE_RESOURCE_GROUPS)
    if groups:
        lines.append("| where resourceGroup in~ (" + ", ".join(f"'{g}'" for g in groups) + ")")
    lines += [
        "| project id, name, type, kind, resourceGroup, properties, identity",
        "| order by id asc",
    ]
    return "\n".join(lines)


def _options(context: CheckContext) -> dict[str, Any]:
    base = POSTURE_ARM_ENDPOINT.get(context.env)
    return {
        "base_url": base,
        "credential_scopes": [f"{base}/.default"],
        "retry_total": 1,
        "connection_timeout": context.network_timeout,
        "read_timeout": context.network_timeout,
        **context.client_options,
    }


def arm_resources(context: CheckContext) -> list[ArmResource]:
    """Every resource of the judged types, all pages, once per run."""

    def build() -> list[ArmResource]:
        from azure.mgmt.resourcegraph import ResourceGraphClient
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        subs = subscriptions(context)
        text = query(context)
        found: list[ArmResource] = []
        with ResourceGraphClient(context.credential, **_options(context)) as client:
            skip_token: str | None = None
            for _ in range(MAX_PAGES):
                options = QueryRequestOptions(skip_token=skip_token, result_format="objectArray")
                page = client.resources(
                    QueryRequest(subscriptions=subs, query=text, options=options)
                )
                rows: list[Any] = page.data if isinstance(page.data, list) else []  # objectArray
                found.extend(_resource(row) for row in rows if isinstance(row, dict))
                skip_token = page.skip_token
                if not skip_token:
                    break
        return found

    return context.memo("arm-resources", build)


def _resource(row: dict[str, Any]) -> ArmResource:
    return ArmResource(
        id=str(row.get("id", "")),
        name=str(row.get("name", "")),
        type=str(row.get("type", "")).lower(),
        kind=str(row.get("kind") or ""),
        resource_group=str(row.get("resourceGroup", "")),
        properties=dict(row.get("properties") or {}),
        identity=row.get("identity") or None,
    )


def inventory(context: CheckContext) -> list[ArmResource]:
    """Every resource in scope, proven to be the deployment's: :class:`Unseen` when the scope
    shows nothing, or shows no site of the name the app runs as (``WEBSITE_SITE_NAME``)."""
    found = arm_resources(context)
    if not found:
        raise Unseen(
            f"Resource Graph showed no resource in {_scope_text(context)}: a wrong "
            f"{POSTURE_SUBSCRIPTION_IDS.name} or {POSTURE_RESOURCE_GROUPS.name}, or the identity "
            "holds no Reader role there"
        )
    own = (context.setting("WEBSITE_SITE_NAME") or "").lower()
    if own and not any(r.type == SITE and r.name.lower() == own for r in found):
        raise Unseen(
            f"the app's own site {own} is not among the {len(found)} resource(s) in "
            f"{_scope_text(context)}: the scope does not cover this deployment"
        )
    return found


def of_type(context: CheckContext, resource_type: str) -> list[ArmResource]:
    return [r for r in inventory(context) if r.type == resource_type]


def unseen_connections(
    context: CheckContext, types: tuple[str, ...] | list[str]
) -> list[connections.Connection]:
    """The resources of ``types`` the app's settings name and the scope does not show."""
    wanted = set(types)
    present = {(r.type, r.name.lower()) for r in inventory(context)}
    named = context.memo("named-connections", lambda: connections.named_connections(context.env))
    return [
        c
        for c in named
        if wanted.intersection(c.types) and not any((t, c.name) in present for t in c.types)
    ]


def _management_client(context: CheckContext) -> ResourceManagementClient:
    def build() -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(
            context.credential, subscriptions(context)[0], **_options(context)
        )

    return context.memo("arm-client", build)


def arm_get(
    context: CheckContext, path: str, *, api_version: str = WEB_API_VERSION
) -> dict[str, Any]:
    """GET ``path`` (a resource id plus a child path) with ARM's pipeline, once per run."""

    def build() -> dict[str, Any]:
        from azure.core.rest import HttpRequest

        request = HttpRequest("GET", path, params={"api-version": api_version})
        response = _management_client(context).send_request(request)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    return context.memo(f"arm-get:{path}@{api_version}", build)


def arm_list(
    context: CheckContext,
    path: str,
    *,
    api_version: str,
    params: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every item of an ARM collection (``value``, following ``nextLink``), once per run."""

    def build() -> list[dict[str, Any]]:
        from azure.core.rest import HttpRequest

        client = _management_client(context)
        request = HttpRequest("GET", path, params={"api-version": api_version, **(params or {})})
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            response = client.send_request(request)
            response.raise_for_status()
            body = response.json()
            items.extend(i for i in body.get("value") or [] if isinstance(i, dict))
            next_link = body.get("nextLink")
            if not next_link:
                return items
            request = HttpRequest("GET", str(next_link))
        raise ValueError(f"{path}: more than {MAX_PAGES} pages")

    key = ",".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
    return context.memo(f"arm-list:{path}@{api_version}?{key}", build)


def scopes(context: CheckContext) -> list[str]:
    """The ARM scopes the rules read at: each resource group named, else each subscription."""
    groups = context.value(POSTURE_RESOURCE_GROUPS) or []
    subs = subscriptions(context)
    if groups:
        return [f"/subscriptions/{s}/resourceGroups/{g}" for s in subs for g in groups]
    return [f"/subscriptions/{s}" for s in subs]


def is_site(resource: ArmResource) -> bool:
    """A function or web app, or one of its deployment slots."""
    return resource.type in (SITE, SITE_SLOT)


def sites(context: CheckContext) -> list[ArmResource]:
    """Every app and deployment slot in scope (a slot is judged like its app)."""
    return [r for r in inventory(context) if is_site(r)]


def key_vault_reference_names(context: CheckContext) -> frozenset[str] | None:
    """App settings of this site that are Key Vault references; None when unknowable.

    Known only in Azure, with the control plane configured and the site found; any
    failure means "unknown", never an error of the runtime rules that ask.
    """
    from azure.core.exceptions import AzureError

    site_name = context.setting("WEBSITE_SITE_NAME")
    if not (context.in_azure and site_name and context.configured(POSTURE_SUBSCRIPTION_IDS)):
        return None
    try:
        sites = [s for s in of_type(context, SITE) if s.name.lower() == site_name.lower()]
        if len(sites) != 1:
            return None
        body = arm_get(context, f"{sites[0].id}/config/configreferences/appsettings")
    except (AzureError, SettingsError, ValueError, Unseen):
        return None
    names = {str(item.get("name") or item.get("id") or "") for item in body.get("value", [])}
    return frozenset(name.rsplit("/", 1)[-1] for name in names if name)
