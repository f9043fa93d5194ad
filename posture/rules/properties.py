"""The plain property checks, as a table: resource types, property, wanted value, severity.

A check that reads one or two Resource Graph properties and compares them with a value
needs no code of its own. Each row below becomes a registered rule whose evaluation is
one function, :func:`evaluate`, over the row (types, properties, when it applies); the
rules that need code (reading child resources, role definitions, histories) stay in
their modules with ``@rule``.

An unset property is judged by what Azure reads it as (``unset``): an account without
``allowSharedKeyAccess`` allows shared keys; a namespace without ``disableLocalAuth``
takes keys. Property names and values are those of the resource providers' REST API
(azure-mgmt-storage, -keyvault, -web, -applicationinsights, -loganalytics, -servicebus,
-eventhub, -cosmosdb, -sql, -redis, -cognitiveservices, -containerregistry, -eventgrid
models).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from posture.context import CheckContext
from posture.model import Category, Rule, RuleResult, Severity, add
from posture.rules.judge import APPS, READER, Prop, Scope, judge
from posture.sources import arm
from posture.sources.arm import ArmResource

IDENTITY_TYPES: Final = ("UserAssigned", "SystemAssigned", "SystemAssigned, UserAssigned")
IDENTITY_STORAGE_AUTH: Final = ("SystemAssignedIdentity", "UserAssignedIdentity")
TLS_12: Final = ("TLS1_2", "TLS1_3")


def _flex(resource: ArmResource) -> bool:
    """A Flex Consumption app (it has functionAppConfig): its deployment storage is judged."""
    return bool(resource.prop("functionAppConfig"))


@dataclass(frozen=True, slots=True)
class PropertyRule:
    """One row: a rule judged by the properties of one or more resource types."""

    id: str
    title: str
    severity: Severity
    what: str
    checks: Mapping[str, tuple[Prop, ...]]
    remediation: str
    required: bool = False
    applies: Any = field(default=None)

    def reads(self) -> str:
        paths = sorted({p.path for props in self.checks.values() for p in props})
        kinds = ", ".join(t.split("/", 1)[1] for t in self.checks)
        return f"Resource Graph: {', '.join(paths)} of {kinds}"


def evaluate(row: PropertyRule, context: CheckContext) -> RuleResult:
    """The one evaluation of every table rule: each resource against its type's properties."""

    def check(resource: ArmResource) -> list[tuple[str, Any]]:
        found = (p.problem(resource) for p in row.checks.get(resource.type, ()))
        return [f for f in found if f is not None]

    scope = Scope(
        tuple(row.checks),
        row.what,
        required=row.required,
        applies=row.applies or (lambda r: True),
    )
    return judge(context, scope, check)


_LOCAL_AUTH_OFF = (Prop("disableLocalAuth", want=(True,), unset=False),)

TABLE: Final[tuple[PropertyRule, ...]] = (
    PropertyRule(
        "STG-SHAREDKEY",
        "Storage accounts refuse shared key (account key and SAS) access",
        Severity.HIGH,
        "storage account(s)",
        {arm.STORAGE: (Prop("allowSharedKeyAccess", want=(False,), unset=True),)},
        "Set allowSharedKeyAccess=false on the account (Bicep `allowSharedKeyAccess: false`) "
        "after moving every client to Entra ID; rotate both keys.",
        required=True,
    ),
    PropertyRule(
        "STG-PUBLIC",
        "Storage accounts allow no anonymous blob access",
        Severity.MEDIUM,
        "storage account(s)",
        {arm.STORAGE: (Prop("allowBlobPublicAccess", refuse=(True,)),)},
        "Set allowBlobPublicAccess=false on the account.",
        required=True,
    ),
    PropertyRule(
        "STG-TLS",
        "Storage accounts require HTTPS and TLS 1.2 or later",
        Severity.MEDIUM,
        "storage account(s)",
        {
            arm.STORAGE: (
                Prop("supportsHttpsTrafficOnly", want=(True,)),
                Prop("minimumTlsVersion", want=TLS_12),
            )
        },
        "Set supportsHttpsTrafficOnly=true and minimumTlsVersion=TLS1_2.",
        required=True,
    ),
    PropertyRule(
        "KV-RBAC",
        "Key Vaults use Azure RBAC, not access policies",
        Severity.MEDIUM,
        "vault(s)",
        {arm.KEY_VAULT: (Prop("enableRbacAuthorization", want=(True,), unset=False),)},
        "Set enableRbacAuthorization=true and grant data roles (Key Vault Secrets User, "
        "Key Vault Reader) at the vault or secret scope.",
    ),
    PropertyRule(
        "KV-PROTECT",
        "Key Vaults keep soft delete and purge protection on",
        Severity.MEDIUM,
        "vault(s)",
        {
            arm.KEY_VAULT: (
                Prop("enableSoftDelete", refuse=(False,)),
                Prop("enablePurgeProtection", want=(True,), unset=False),
            )
        },
        "Enable purge protection (it cannot be turned off again) and keep soft delete on.",
    ),
    PropertyRule(
        "APP-IDENTITY",
        "Function and web apps have a managed identity",
        Severity.HIGH,
        "app(s)",
        {t: (Prop("identity.type", want=IDENTITY_TYPES),) for t in APPS},
        "Attach a user-assigned managed identity (or enable the system-assigned one) and move "
        "every connection to it.",
        required=True,
    ),
    PropertyRule(
        "APP-DEPLOY-STORAGE",
        "Flex Consumption apps pull their package with a managed identity, not a key",
        Severity.HIGH,
        "Flex Consumption app(s)",
        {
            t: (
                Prop(
                    "functionAppConfig.deployment.storage.authentication.type",
                    want=IDENTITY_STORAGE_AUTH,
                ),
            )
            for t in APPS
        },
        "Set functionAppConfig.deployment.storage.authentication to UserAssignedIdentity (with "
        "userAssignedIdentityResourceId) or SystemAssignedIdentity, grant that identity Storage "
        "Blob Data Owner on the deployment container's account, and delete the "
        "StorageAccountConnectionString setting it named.",
        applies=_flex,
    ),
    PropertyRule(
        "AI-LOCALAUTH",
        "Application Insights accepts telemetry with Entra ID only",
        Severity.HIGH,
        "Application Insights component(s)",
        {arm.APP_INSIGHTS: (Prop("DisableLocalAuth", want=(True,), unset=False),)},
        "Set DisableLocalAuth=true on the component after the app sends with "
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING (RT-AI-AUTH).",
    ),
    PropertyRule(
        "LOG-LOCALAUTH",
        "Log Analytics workspaces accept data with Entra ID only",
        Severity.MEDIUM,
        "Log Analytics workspace(s)",
        {arm.WORKSPACE: (Prop("features.disableLocalAuth", want=(True,), unset=False),)},
        "Set features.disableLocalAuth=true on the workspace: agents and the Data Collector API "
        "then need an Entra token, the workspace keys stop working.",
    ),
    PropertyRule(
        "DATA-LOCALAUTH",
        "Data services refuse keys: Entra ID only; no registry admin user",
        Severity.HIGH,
        "data service(s)",
        {
            arm.SERVICE_BUS: _LOCAL_AUTH_OFF,
            arm.EVENT_HUBS: _LOCAL_AUTH_OFF,
            arm.COSMOS: _LOCAL_AUTH_OFF,
            arm.APP_CONFIGURATION: _LOCAL_AUTH_OFF,
            arm.AI_SERVICES: _LOCAL_AUTH_OFF,
            arm.REDIS: (Prop("disableAccessKeyAuthentication", want=(True,), unset=False),),
            arm.CONTAINER_REGISTRY: (Prop("adminUserEnabled", refuse=(True,)),),
            arm.SQL: (Prop("administrators.azureADOnlyAuthentication", want=(True,), unset=False),),
        },
        "Set disableLocalAuth=true (Service Bus, Event Hubs, Cosmos DB, App Configuration, AI "
        "services), disableAccessKeyAuthentication=true (Redis), adminUserEnabled=false "
        "(Container Registry) and Microsoft Entra-only authentication (SQL: "
        "administrators.azureADOnlyAuthentication) after moving clients to Entra ID.",
    ),
    PropertyRule(
        "EG-LOCALAUTH",
        "Event Grid topics and domains accept events with Entra ID only",
        Severity.HIGH,
        "Event Grid topic(s) and domain(s)",
        {arm.EVENT_GRID_TOPIC: _LOCAL_AUTH_OFF, arm.EVENT_GRID_DOMAIN: _LOCAL_AUTH_OFF},
        "Set disableLocalAuth=true on the topic or domain and publish with an identity holding "
        "EventGrid Data Sender; the access keys stop working.",
    ),
)


def _register(row: PropertyRule) -> Rule:
    return add(
        Rule(
            id=row.id,
            title=row.title,
            severity=row.severity,
            category=Category.CONTROL_PLANE,
            remediation=row.remediation,
            reads=row.reads(),
            permission=READER,
            evaluate=partial(evaluate, row),
        )
    )


RULES: Final = tuple(_register(row) for row in TABLE)
