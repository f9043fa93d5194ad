"""The deployment ``azd up`` makes from ``infra/``, as the posture checker would find it.

:func:`derive` evaluates the template (:mod:`tests.infra.bicep_eval`) and answers with what
the checker reads: Resource Graph rows of every judged resource, the ARM child resources
(site configuration, publishing policies, authentication settings, the vault's diagnostic
settings, Event Grid subscriptions, every role assignment with its built-in role's
definition, the deployment history of the modules), the app's settings as App Service
hands them to it, and the data planes (containers, queues, the partner secret as
``infra/scripts/set-partner-key.sh`` sets it). What the template does not decide comes from
the recordings and is named as such: the tenant (Graph), the subscription's Defender plans
and owners, the telemetry rows.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.infra.bicep_eval import Module, Platform, Resource, stable_guid
from tests.support import recordings
from tests.support.arm_stub import CloudModel
from tests.support.data_plane import DataPlane

JUDGED_TYPES = {
    "Microsoft.Storage/storageAccounts",
    "Microsoft.KeyVault/vaults",
    "Microsoft.Web/sites",
    "Microsoft.Insights/components",
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.EventGrid/systemTopics",
}
WEB_API = "2022-03-01"
MAIN = "infra/main.bicep"
#: set-partner-key.sh's default lifetime of a partner key version.
PARTNER_KEY_DAYS = 90


@dataclass
class Deployment:
    model: CloudModel
    plane: DataPlane
    env: dict[str, str]
    api_site: Resource
    app_client_id: str


def _declared(module: Module) -> list[tuple[Resource, dict[str, Any]]]:
    """Every resource a file declares (not ``existing``) whose condition holds."""
    found = []
    for symbol, resource in (module.tree.get("resources") or {}).items():
        config = resource["config"]
        if resource.get("existing") or "loop_type" in config:
            continue
        if "condition" in config and "config" in config and not module.value(config["condition"]):
            continue
        found.append((module.resource(symbol), resource))
    return found


def _modules(module: Module) -> list[Module]:
    """``module`` and every local module it deploys (conditions honoured), depth first."""
    found = [module]
    for symbol, declared in (module.tree.get("modules") or {}).items():
        config = declared["config"]
        if "condition" in config and "config" in config and not module.value(config["condition"]):
            continue
        child = module.lookup(symbol)
        if isinstance(child, Module):
            found += _modules(child)
    return found


def _assignments(module: Module) -> list[dict[str, Any]]:
    """The role assignments one file makes, one per role of each loop, as ARM lists them."""
    found = []
    for _, resource in (module.tree.get("resources") or {}).items():
        if resource["type"] != "Microsoft.Authorization/roleAssignments":
            continue
        config = resource["config"]
        if config.get("condition") is not None and not module.value(config["condition"]):
            continue
        body = config["config"] if "loop_type" in config else config
        roles = module.lookup(config["loop_type"]["detail"]["array_name"])
        role_ids = module.lookup("roleIds")
        principal = module.value(body["properties"]["principalId"])
        if not principal:
            continue
        scope = module.symbol(body["scope"]).id if body.get("scope") else module.platform.rg_id()
        for role in roles:
            rid = role_ids[role]
            name = stable_guid(scope, principal, rid)
            found.append({
                "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
                "name": name,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{module.platform.subscription}/providers/"
                    f"Microsoft.Authorization/roleDefinitions/{rid}",
                    "principalId": principal,
                    "principalType": "ServicePrincipal",
                    "scope": scope,
                },
            })  # fmt: skip
    return found


def _identity(module: Module, body: dict[str, Any]) -> dict[str, Any] | None:
    identity = module.value(body.get("identity"))
    if not identity:
        return None
    assigned = {}
    for rid in identity.get("userAssignedIdentities") or {}:
        key = rid.strip("'")
        name = key.rsplit("/", 1)[-1]
        client = module.platform.client_ids.get(name, stable_guid("client", key))
        assigned[key] = {"principalId": stable_guid("principal", key), "clientId": client}
    return {"type": identity.get("type"), "userAssignedIdentities": assigned or None}


def _row(resource: Resource, declared: dict[str, Any]) -> dict[str, Any]:
    module, body = resource.module, resource.body
    properties = {**module.value(body.get("properties") or {}), **resource.runtime()}
    if resource.type == "Microsoft.Web/sites":
        properties.pop("siteConfig", None)  # read from config/web, as Resource Graph leaves it
    if resource.type == "Microsoft.EventGrid/systemTopics":
        principal = resource.attribute("identity")["principalId"]
        identity: dict[str, Any] | None = {"type": "SystemAssigned", "principalId": principal}
    else:
        identity = _identity(module, body)
    return {
        "id": resource.id,
        "name": resource.name,
        "type": resource.type.lower(),
        "kind": str(module.value(body.get("kind")) or ""),
        "resourceGroup": module.platform.resource_group,
        "properties": properties,
        "identity": identity,
    }


def _functions(site: Resource, hosted: str) -> list[dict[str, Any]]:
    """The app's functions as ARM lists them, from the code the site runs (``APP_FUNCTIONS``)."""
    import azure.functions as func

    from blueprints.health import bp as health
    from blueprints.jobs import bp as jobs
    from blueprints.openapi import bp as openapi
    from blueprints.outbox import bp as outbox
    from blueprints.posture import bp as posture
    from blueprints.rotation import bp as rotation
    from blueprints.worker import bp as worker

    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for blueprint in (rotation,) if hosted == "rotation" else (health, jobs, openapi, posture,
                                                                 worker, outbox):  # fmt: skip
        app.register_functions(blueprint)
    listed = []
    for function in app.get_functions():
        config = json.loads(function.get_function_json())
        listed.append({
            "id": f"{site.id}/functions/{function.get_function_name()}",
            "name": f"{site.name}/{function.get_function_name()}",
            "type": "Microsoft.Web/sites/functions",
            "properties": {"name": function.get_function_name(), "config": config},
        })  # fmt: skip
    return listed


def _graph(resource: Resource, graph: dict[str, Any]) -> None:
    """A Microsoft Graph resource (PARTNER_AUTH=entra's app registration and its federated
    credential) as Graph lists it: ``graph["applications"]`` and each application's
    ``federatedIdentityCredentials`` in ``graph["responses"]``."""
    module, body = resource.module, resource.body
    if resource.type == "Microsoft.Graph/applications":
        owners = module.value((body.get("owners") or {}).get("relationships") or [])
        graph["applications"].append({
            "id": resource.attribute("id"),
            "appId": resource.attribute("appId"),
            "displayName": module.value(body["displayName"]),
            "signInAudience": module.value(body.get("signInAudience")) or "AzureADMyOrg",
            "passwordCredentials": module.value(body.get("passwordCredentials") or []),
            "keyCredentials": module.value(body.get("keyCredentials") or []),
            "owners": [{"@odata.type": "#microsoft.graph.user", "id": o} for o in owners],
        })  # fmt: skip
        return
    owner = module.resource(resource.symbol.split("__", 1)[0])  # pycep names a child parent__child
    path = f"GET /v1.0/applications/{owner.attribute('id')}/federatedIdentityCredentials"
    graph["responses"].setdefault(path, {"value": []})["value"].append({
        "id": stable_guid("fic", owner.name, resource.name),
        "name": resource.name,
        "issuer": module.value(body["issuer"]),
        "subject": module.value(body["subject"]),
        "audiences": module.value(body["audiences"]),
    })  # fmt: skip


def derive(trees: dict[str, Any], platform: Platform, params: dict[str, Any]) -> Deployment:
    main = Module(MAIN, trees, params, platform)
    rows: list[dict[str, Any]] = []
    responses: dict[str, Any] = {}
    assignments: list[dict[str, Any]] = []
    deployments: list[dict[str, Any]] = []
    plane = DataPlane()
    settings: dict[str, dict[str, str]] = {}
    sites: dict[str, Resource] = {}
    graph: dict[str, Any] = {"applications": [], "responses": {}, "principals": []}
    for module in _modules(main)[1:]:
        assignments += _assignments(module)
        outputs = {k: {"type": "String", "value": str(module.output(k))}
                   for k in (module.tree.get("outputs") or {})}  # fmt: skip
        deployments.append({
            "id": f"{platform.rg_id()}/providers/Microsoft.Resources/deployments/{module.path}",
            "name": module.path.rsplit("/", 1)[-1].removesuffix(".bicep"),
            "properties": {"provisioningState": "Succeeded",
                           "parameters": {k: {"type": "String", "value": json.dumps(v) if
                                              not isinstance(v, str) else v}
                                          for k, v in module.params.items()},
                           "outputs": outputs},
        })  # fmt: skip
        for resource, declared in _declared(module):
            body = resource.body
            if resource.type.startswith("Microsoft.Graph/"):
                _graph(resource, graph)
                continue
            if resource.type in JUDGED_TYPES:
                rows.append(_row(resource, declared))
            if resource.type == "Microsoft.Web/sites":
                sites[resource.name] = resource
                site_config = dict(module.value(body["properties"].get("siteConfig") or {}))
                site_config.pop("appSettings", None)
                responses[f"GET {resource.id}/config/web"] = {"properties": site_config}
                settings[resource.name] = {
                    k: str(v) for k, v in module.lookup("appSettings").items()
                }
                responses[f"GET {resource.id}/config/configreferences/appsettings"] = {"value": []}
            elif (
                resource.type == "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
                or resource.type == "Microsoft.Web/sites/config"
            ):
                responses[f"GET {resource.id}"] = {"properties": module.value(body["properties"])}
            elif resource.type == "Microsoft.Insights/diagnosticSettings":
                target = module.symbol(body["scope"])
                key = f"GET {target.id}/providers/Microsoft.Insights/diagnosticSettings"
                responses.setdefault(key, {"value": []})["value"].append(
                    {
                        "id": f"{target.id}/providers/Microsoft.Insights/diagnosticSettings/"
                        f"{resource.name}",
                        "name": resource.name,
                        "properties": module.value(body["properties"]),
                    }
                )
            elif resource.type == "Microsoft.EventGrid/systemTopics/eventSubscriptions":
                parent = module.resource(body["parent"])
                responses.setdefault(f"GET {parent.id}/eventSubscriptions", {"value": []})[
                    "value"
                ].append({"id": resource.id, "name": resource.name,
                          "properties": module.value(body["properties"])})  # fmt: skip
            elif resource.type == "Microsoft.KeyVault/vaults":
                responses[f"GET {resource.id}/keys"] = {"value": []}
                responses[f"GET {resource.id}/secrets"] = {"value": []}  # filled below
                responses.setdefault(
                    f"GET {resource.id}/providers/Microsoft.Insights/diagnosticSettings",
                    {"value": []},
                )
            elif resource.type == "Microsoft.Storage/storageAccounts":
                names = module.lookup("containerNames")
                plane.containers[resource.name] = list(names)
                plane.queues[resource.name] = list(module.lookup("queueNames"))
    for row in rows:
        assigned = (row.get("identity") or {}).get("userAssignedIdentities") or {}
        for rid, ids in assigned.items():
            responses[f"GET {rid}/federatedIdentityCredentials"] = {"value": []}
            # Its service principal, as Graph lists a managed identity's.
            if all(sp["id"] != ids["principalId"] for sp in graph["principals"]):
                graph["principals"].append({
                    "id": ids["principalId"], "appId": ids["clientId"],
                    "displayName": rid.rsplit("/", 1)[-1],
                    "servicePrincipalType": "ManagedIdentity", "appOwnerOrganizationId": None,
                    "passwordCredentials": [], "keyCredentials": [],
                })  # fmt: skip
    for name, site in sites.items():
        hosted = settings[name].get("APP_FUNCTIONS", "all")
        responses[f"GET {site.id}/functions"] = {"value": _functions(site, hosted)}
        auth = responses.get(f"GET {site.id}/config/authsettingsV2", {}).get("properties") or {}
        validation = auth.get("globalValidation") or {}
        plane.guarded[name] = (
            bool((auth.get("platform") or {}).get("enabled"))
            and bool(validation.get("requireAuthentication"))
            and validation.get("unauthenticatedClientAction") in ("Return401", "Return403")
        )
    rg = platform.rg_id()
    responses[f"GET {rg}/providers/Microsoft.Authorization/roleAssignments"] = {
        "value": assignments
    }
    for role_id, definition in recordings.load("roles")["role_definitions"].items():
        responses[f"GET {rg}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"] = (
            definition
        )
    responses[f"GET {rg}/providers/Microsoft.Resources/deployments"] = {"value": deployments}
    api = next(s for n, s in sites.items() if settings[n].get("APP_FUNCTIONS") == "api")
    now = datetime.now(UTC)
    vault = next(r for r in rows if r["type"] == "microsoft.keyvault/vaults")
    secret_name = settings[api.name]["PARTNER_API_KEY_SECRET_NAME"]
    set_at = now - timedelta(days=10)
    attributes = {"enabled": True, "created": int(set_at.timestamp()),
                  "updated": int(set_at.timestamp()),
                  "exp": int((set_at + timedelta(days=PARTNER_KEY_DAYS)).timestamp()),
                  "recoveryLevel": "Recoverable", "recoverableDays": 90}  # fmt: skip
    # The key a person sets after the first provision (docs/deploy.md); none with entra.
    held = [] if settings[api.name].get("PARTNER_AUTH") == "entra" else [secret_name]
    plane.secrets[vault["name"]] = [{"name": n, "attributes": attributes} for n in held]
    responses[f"GET {vault['id']}/secrets"] = {"value": [
        {"id": f"{vault['id']}/secrets/{n}", "name": n, "type": "Microsoft.KeyVault/vaults/secrets",
         "properties": {"attributes": attributes}} for n in held
    ]}  # fmt: skip
    responses.update(graph["responses"])
    model = CloudModel(
        resources=rows,
        recorded=responses,
        applications=graph["applications"],
        service_principals=graph["principals"],
    )
    return Deployment(model, plane, settings[api.name], api, settings[api.name]["AZURE_CLIENT_ID"])


def add_recorded_surroundings(
    model: CloudModel, *, subscription: str, workspace: str
) -> dict[str, str]:
    """What the template does not decide, from the recordings: the tenant, the subscription's
    Defender plans and owners, the telemetry. Returns the settings an operator adds after
    ``azd up`` as docs/posture.md says (Graph on, the declared network mode, the licence and
    the rotation identity the tenant has)."""
    tenant = recordings.load("tenant")
    access = recordings.load("access")
    auditing = recordings.load("auditing")
    tenant_model = recordings.model(tenant)
    model.applications = [*tenant_model.applications, *model.applications]
    model.service_principals = [*tenant_model.service_principals, *model.service_principals]
    model.policy = copy.deepcopy(
        tenant["responses"]["GET /v1.0/policies/defaultAppManagementPolicy"]
    )
    model.recorded.update(
        {k: v for k, v in tenant["responses"].items() if k.startswith("GET /v1.0")}
    )
    pricings = f"GET /subscriptions/{subscription}/providers/Microsoft.Security/pricings"
    model.recorded[pricings] = access["responses"][pricings]
    sub = f"/subscriptions/{subscription}/providers/Microsoft.Authorization"
    model.recorded[f"GET {sub}/roleAssignments"] = access["responses"].get(
        f"GET {sub}/roleAssignments", {"value": []}
    )
    model.recorded[f"GET {sub}/roleDefinitions"] = {"value": []}
    query = next(v for k, v in auditing["responses"].items() if k.startswith("POST"))
    model.recorded[f"POST /v1/workspaces/{workspace}/query"] = query
    return {
        "POSTURE_GRAPH_ENABLED": "true",
        "POSTURE_NETWORK_MODE": "public",
        "POSTURE_WORKLOAD_ID_PREMIUM": "true",
        "POSTURE_ROTATION_PRINCIPAL_ID": tenant["rotation_principal_id"],
    }
