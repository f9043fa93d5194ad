"""The Bicep module of role assignments the migrated app's identity needs.

One ``existing`` reference per account, namespace, vault or component the findings name, one
per container, queue, table, topic or event hub when the binding names it literally (the
tightest scope the findings allow: a queue trigger on ``orders`` gets its roles on ``orders``,
not on the account), and one role assignment per (scope, role). Cosmos DB data roles are the
account's SQL role assignments, not Azure RBAC. Names of accounts are parameters: the app's
code does not know them; the report shows how to pass them from ``main.bicep``.

API versions are the ones this project's own infra/ uses (tests/infra checks their bodies
against the Azure SDK models of those versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrate.roles import COSMOS_ROLE_IDS, ROLE_IDS

STORAGE = "Microsoft.Storage/storageAccounts@2023-05-01"
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments@2022-04-01"
_CHILDREN = {
    "storage-blob": ("blobServices", "containers", "2023-05-01"),
    "storage-queue": ("queueServices", "queues", "2023-05-01"),
    "storage-table": ("tableServices", "tables", "2023-05-01"),
}
_NAMESPACES = {
    "servicebus": (
        "Microsoft.ServiceBus/namespaces",
        "2022-10-01-preview",
        "queues",
        "NamespaceName",
    ),
    "eventhubs": ("Microsoft.EventHub/namespaces", "2024-01-01", "eventhubs", "NamespaceName"),
}
COSMOS = "Microsoft.DocumentDB/databaseAccounts@2024-05-15"
VAULT = "Microsoft.KeyVault/vaults@2023-07-01"
COMPONENT = "Microsoft.Insights/components@2020-02-02"


@dataclass(frozen=True, slots=True)
class Need:
    service: str
    connection: str  # the setting prefix (storage account, namespace...) or a fixed key
    roles: tuple[str, ...]
    entity: str | None
    why: str


@dataclass(slots=True)
class _Module:
    params: dict[str, str] = field(default_factory=dict)  # name -> description
    resources: dict[str, str] = field(default_factory=dict)  # symbol -> text
    assignments: dict[str, str] = field(default_factory=dict)  # symbol -> text
    rows: list[dict[str, str]] = field(default_factory=list)


def _ident(text: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    if not words:
        return "x"
    first, rest = words[0], words[1:]
    name = first[0].lower() + first[1:] + "".join(w[0].upper() + w[1:] for w in rest)
    return name if not name[0].isdigit() else "x" + name


def render(needs: list[Need]) -> tuple[str, list[dict[str, str]]]:
    """The module's text and one row per role assignment (for the report)."""
    module = _Module()
    module.params["principalId"] = "principal id of the function app managed identity"
    for need in needs:
        scope = _scope(module, need)
        if scope is None:
            continue
        for role in need.roles:
            if need.service == "cosmosdb":
                _cosmos_assignment(module, scope, role, need)
            elif role in ROLE_IDS:
                _assignment(module, scope, role, need)
    return _text(module), module.rows


def _param(module: _Module, name: str, description: str) -> str:
    module.params.setdefault(name, description)
    return name


def _existing(
    module: _Module, symbol: str, type_version: str, name: str, parent: str | None = None
) -> str:
    if symbol not in module.resources:
        parent_line = f"  parent: {parent}\n" if parent else ""
        module.resources[symbol] = (
            f"resource {symbol} '{type_version}' existing = {{\n{parent_line}  name: {name}\n}}\n"
        )
    return symbol


def _scope(module: _Module, need: Need) -> tuple[str, str] | None:
    """(symbol, description) of the tightest resource the roles can be assigned on."""
    base = _ident(need.connection)
    if need.service.startswith("storage"):
        account_param = _param(
            module, f"{base}AccountName", f"storage account behind {need.connection}"
        )
        account = _existing(module, f"{base}Account", STORAGE, account_param)
        child = _CHILDREN.get(need.service)
        if child is None or need.entity is None:
            return account, f"storage account ({need.connection})"
        service_kind, entity_kind, version = child
        parent_type = STORAGE.split("@")[0]
        service = _existing(
            module,
            f"{base}{service_kind[0].upper()}{service_kind[1:]}",
            f"{parent_type}/{service_kind}@{version}",
            "'default'",
            account,
        )
        symbol = f"{base}{_ident(need.entity)[0].upper()}{_ident(need.entity)[1:]}"
        entity = _existing(
            module,
            symbol,
            f"{parent_type}/{service_kind}/{entity_kind}@{version}",
            f"'{need.entity}'",
            service,
        )
        return entity, f"{entity_kind[:-1]} {need.entity} ({need.connection})"
    if need.service in _NAMESPACES:
        kind, version, child_kind, suffix = _NAMESPACES[need.service]
        param = _param(module, f"{base}{suffix}", f"namespace behind {need.connection}")
        namespace = _existing(module, f"{base}Namespace", f"{kind}@{version}", param)
        if need.entity is None:
            return namespace, f"namespace ({need.connection})"
        entity = _existing(
            module,
            f"{base}{_ident(need.entity)[0].upper()}{_ident(need.entity)[1:]}",
            f"{kind}/{child_kind}@{version}",
            f"'{need.entity}'",
            namespace,
        )
        return entity, f"{child_kind[:-1]} {need.entity} ({need.connection})"
    if need.service == "cosmosdb":
        param = _param(module, f"{base}AccountName", f"Cosmos DB account behind {need.connection}")
        return _existing(
            module, f"{base}Account", COSMOS, param
        ), f"Cosmos DB account ({need.connection})"
    if need.service == "third-party":
        vault = _existing(
            module, "vault", VAULT, _param(module, "keyVaultName", "the Key Vault of the app")
        )
        return vault, "Key Vault"
    if need.service == "appinsights":
        param = _param(
            module, "applicationInsightsName", "the Application Insights component of the app"
        )
        return _existing(module, "appInsights", COMPONENT, param), "Application Insights component"
    if need.service == "cognitiveservices":
        param = _param(
            module, f"{base}AccountName", f"Azure AI services account behind {need.connection}"
        )
        account = _existing(
            module, f"{base}Cognitive", "Microsoft.CognitiveServices/accounts@2024-10-01", param
        )
        return account, f"Azure AI services account ({need.connection})"
    return None


def _assignment(module: _Module, scope: tuple[str, str], role: str, need: Need) -> None:
    symbol, description = scope
    role_id = ROLE_IDS[role]
    name = f"{symbol}{_ident(role)[0].upper()}{_ident(role)[1:]}"
    if name in module.assignments:
        return
    module.assignments[name] = (
        f"// {role} on {description}: {need.why}\n"
        f"resource {name} '{ROLE_ASSIGNMENT}' = {{\n"
        f"  name: guid({symbol}.id, principalId, '{role_id}')\n"
        f"  scope: {symbol}\n"
        f"  properties: {{\n"
        "    roleDefinitionId: subscriptionResourceId("
        f"'Microsoft.Authorization/roleDefinitions', '{role_id}')\n"
        f"    principalId: principalId\n"
        f"    principalType: 'ServicePrincipal'\n"
        f"  }}\n"
        f"}}\n"
    )
    module.rows.append({"role": role, "scope": description, "why": need.why})


def _cosmos_assignment(module: _Module, scope: tuple[str, str], role: str, need: Need) -> None:
    symbol, description = scope
    role_id = COSMOS_ROLE_IDS[role]
    name = f"{symbol}{_ident(role)[0].upper()}{_ident(role)[1:]}"
    if name in module.assignments:
        return
    module.assignments[name] = (
        f"// {role} on {description}: {need.why}\n"
        f"resource {name} '{COSMOS.split('@')[0]}/sqlRoleAssignments@{COSMOS.split('@')[1]}' = {{\n"
        f"  parent: {symbol}\n"
        f"  name: guid({symbol}.id, principalId, '{role_id}')\n"
        f"  properties: {{\n"
        f"    roleDefinitionId: '${{{symbol}.id}}/sqlRoleDefinitions/{role_id}'\n"
        f"    principalId: principalId\n"
        f"    scope: {symbol}.id\n"
        f"  }}\n"
        f"}}\n"
    )
    module.rows.append({"role": role, "scope": description, "why": need.why})


def _quoted(text: str) -> str:
    """Text for a Bicep single-quoted string."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _text(module: _Module) -> str:
    head = [
        "// Role assignments for the function app's managed identity, written by migrate.",
        "// Each grants what one finding needs, on the tightest scope the app names.",
        "",
    ]
    params = [
        f"@description('{_quoted(text)}')\nparam {name} string\n"
        for name, text in module.params.items()
    ]
    return (
        "\n".join(head)
        + "\n".join(params)
        + "\n"
        + "\n".join(module.resources.values())
        + "\n"
        + "\n".join(module.assignments.values())
    )
