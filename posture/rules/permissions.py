"""What a role grants, judged by the operations it allows: the facts MI-LEAST-PRIVILEGE reads.

A role definition lists patterns (``Microsoft.Storage/storageAccounts/*``); Azure grants
an operation when an ``actions`` pattern matches it and no ``notActions`` pattern does
(Azure role definitions: "Actions", "NotActions", wildcard ``*`` matching any string).
So a role is judged by whether it grants one of the operations below, named exactly as
the resource providers' operations reference spells them, never by how its patterns end:
``blobServices/containers/*`` (Storage Blob Data Owner) grants no key, ``storageAccounts/*``
(Storage Account Contributor) grants ``listKeys``. Reading secret values
(``secrets/getSecret/action``) is a problem only at a scope wider than one secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any, Final

OWNER: Final = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR: Final = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
#: Built-in roles that administer resources or access (Azure built-in roles reference).
PRIVILEGED_ROLES: Final = {
    OWNER: "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
#: Control-plane operations that hand out a key, a SAS, or settings built from them.
KEY_OPERATIONS: Final = (
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Storage/storageAccounts/regeneratekey/action",
    "Microsoft.Storage/storageAccounts/ListAccountSas/action",
    "Microsoft.Storage/storageAccounts/ListServiceSas/action",
    "Microsoft.Web/sites/config/list/action",
    "Microsoft.Web/sites/publishxml/action",
    "Microsoft.Web/sites/host/listkeys/action",
    "Microsoft.Web/sites/functions/listkeys/action",
    "Microsoft.ServiceBus/namespaces/authorizationRules/listkeys/action",
    "Microsoft.EventHub/namespaces/authorizationRules/listkeys/action",
    "Microsoft.DocumentDB/databaseAccounts/listKeys/action",
    "Microsoft.DocumentDB/databaseAccounts/listConnectionStrings/action",
    "Microsoft.Cache/redis/listKeys/action",
    "Microsoft.CognitiveServices/accounts/listKeys/action",
    "Microsoft.AppConfiguration/configurationStores/ListKeys/action",
    "Microsoft.ContainerRegistry/registries/listCredentials/action",
    "Microsoft.EventGrid/topics/listKeys/action",
    "Microsoft.EventGrid/domains/listKeys/action",
    "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
)
#: Operations that change who may do what: with one, an identity can grant itself anything.
ACCESS_OPERATIONS: Final = (
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleDefinitions/write",
    "Microsoft.Authorization/elevateAccess/action",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
)
SECRET_VALUE: Final = "Microsoft.KeyVault/vaults/secrets/getSecret/action"  # noqa: S105 (an operation)


def grants(patterns: Iterable[str], excluded: Iterable[str], operation: str) -> bool:
    """Whether ``patterns`` minus ``excluded`` allow ``operation`` (case-insensitive)."""
    op = operation.lower()
    if not any(fnmatchcase(op, p.lower()) for p in patterns):
        return False
    return not any(fnmatchcase(op, p.lower()) for p in excluded)


def _broad_scope(scope: str) -> str | None:
    parts = [p for p in scope.lower().split("/") if p]
    if not parts:
        return "the tenant root"
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return "a management group"
    if len(parts) == 2 and parts[0] == "subscriptions":
        return "a subscription"
    return None


def _one_secret(scope: str) -> bool:
    """An assignment scoped to one Key Vault secret (.../vaults/<v>/secrets/<name>)."""
    parts = [p for p in scope.lower().split("/") if p]
    return len(parts) >= 2 and parts[-2] == "secrets" and "microsoft.keyvault" in parts


def permission_problems(permissions: list[dict[str, Any]], scope: str) -> list[str]:
    """Why the operations a definition grants at ``scope`` are too wide (empty: they are not)."""
    problems: list[str] = []
    for perm in permissions:
        actions = [str(a) for a in perm.get("actions") or []]
        excluded = [str(a) for a in perm.get("notActions") or []]
        if "*" in actions and not excluded:
            problems.append("action * (every operation, keys and access included)")
            continue
        keys = [op for op in KEY_OPERATIONS if grants(actions, excluded, op)]
        if keys:
            problems.append(f"key-listing action(s) {', '.join(keys)}")
        access = [op for op in ACCESS_OPERATIONS if grants(actions, excluded, op)]
        if access:
            problems.append(f"access-changing action(s) {', '.join(access)}")
        data = [str(a) for a in perm.get("dataActions") or []]
        data_excluded = [str(a) for a in perm.get("notDataActions") or []]
        if grants(data, data_excluded, SECRET_VALUE) and not _one_secret(scope):
            problems.append(f"reads every secret value under {scope or 'its scope'}")
    return problems


def role_problems(role_id: str, scope: str, permissions: list[dict[str, Any]]) -> list[str]:
    """Everything too wide about one assignment: its role, its scope, what it grants."""
    problems = []
    if role_id in PRIVILEGED_ROLES:
        problems.append(f"privileged role {PRIVILEGED_ROLES[role_id]}")
    broad = _broad_scope(scope)
    if broad:
        problems.append(f"assigned at {broad}")
    return problems + permission_problems(permissions, scope)
