"""Access rules: what the apps' identities may do in Azure, and whether Defender watches.

MI-LEAST-PRIVILEGE lists the role assignments of every identity attached to an app in
scope with the Role Assignments API and its ``principalId eq`` filter, which returns the
assignments "at, above or below the scope" (Role Assignments - List For Resource Group,
2022-04-01): Reader on the resource group is enough to see an Owner granted at the
subscription or a management group. Resource Graph's ``authorizationresources`` would
need Reader on every scope above to show those. DEF-PLANS reads the subscription's
Defender for Cloud pricings (Pricings - List, 2024-01-01), which only a subscription-level
reader may see.
"""

from __future__ import annotations

from typing import Any, Final

from posture.context import CheckContext
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.rules.controlplane import NOT_CONFIGURED, READER
from posture.sources import arm
from shared.settings import POSTURE_SUBSCRIPTION_IDS

AUTHORIZATION_API: Final = "2022-04-01"
PRICINGS_API: Final = "2024-01-01"
#: Built-in roles that administer resources or access (Azure built-in roles reference).
PRIVILEGED_ROLES: Final = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
#: Action fragments that hand out keys, SAS or connection strings built from them.
KEY_ACTIONS: Final = (
    "listkeys",
    "regeneratekey",
    "listaccountsas",
    "listservicesas",
    "listconnectionstrings",
    "config/list/action",
    "listsecrets",
)
#: Defender for Cloud plans (pricing names) for what this app is built of.
DEFENDER_PLANS: Final = {
    "AppServices": "App Service",
    "KeyVaults": "Key Vault",
    "StorageAccounts": "Storage",
    "Arm": "Resource Manager",
}


def principal_ids(context: CheckContext) -> dict[str, str]:
    """Principal (object) id -> the app it runs, for every identity of every app and slot."""
    found: dict[str, str] = {}
    for site in arm.sites(context):
        identity = site.identity or {}
        if identity.get("principalId"):
            found[str(identity["principalId"])] = site.name
        for item in (identity.get("userAssignedIdentities") or {}).values():
            if isinstance(item, dict) and item.get("principalId"):
                found[str(item["principalId"])] = site.name
    return found


def _broad_scope(scope: str) -> str | None:
    parts = [p for p in scope.lower().split("/") if p]
    if not parts:
        return "the tenant root"
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return "a management group"
    if len(parts) == 2 and parts[0] == "subscriptions":
        return "a subscription"
    return None


def action_problems(permissions: list[dict[str, Any]]) -> list[str]:
    """Why a role definition's control-plane actions are too wide (empty: they are not)."""
    problems = []
    for perm in permissions:
        for action in (str(a).lower() for a in perm.get("actions") or []):
            if action == "*":
                problems.append("action *")
            elif action.startswith("microsoft.authorization/") and not action.endswith("/read"):
                problems.append(f"action {action}")
            elif any(k in action for k in KEY_ACTIONS) or action.endswith("/*"):
                problems.append(f"key-listing action {action}")
    return problems


@rule(
    "MI-LEAST-PRIVILEGE",
    title="App identities hold no admin role, no key-listing action, nothing at subscription scope",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Remove Owner, Contributor, User Access Administrator and Role Based Access "
    "Control Administrator from the app's identity, and every assignment at subscription or "
    "management-group scope; grant data roles (Storage Blob Data Contributor, Key Vault Secrets "
    "User, ...) on the one resource, container or queue the code uses.",
    reads="Resource Graph: the identities of sites and slots; ARM: roleAssignments "
    "($filter=principalId eq ...) at each scope in POSTURE_RESOURCE_GROUPS or "
    "POSTURE_SUBSCRIPTION_IDS, and each assigned roleDefinition",
    permission=READER,
    budget=60.0,
)
def identity_least_privilege(context: CheckContext) -> RuleResult:
    if not context.value(POSTURE_SUBSCRIPTION_IDS):
        return RuleResult.skipped(NOT_CONFIGURED)
    principals = principal_ids(context)
    if not principals:
        return RuleResult.passed("no app identity in scope")
    found: list[Evidence] = []
    seen: set[str] = set()
    for scope in arm.scopes(context):
        for principal, app in sorted(principals.items()):
            assignments = arm.arm_list(
                context,
                f"{scope}/providers/Microsoft.Authorization/roleAssignments",
                api_version=AUTHORIZATION_API,
                params={"$filter": f"principalId eq '{principal}'"},
            )
            for item in assignments:
                if str(item.get("id")) in seen:
                    continue
                seen.add(str(item.get("id")))
                found += _judge_assignment(context, scope, app, principal, item)
    if found:
        apps = sorted({str(e["app"]) for e in found})
        return RuleResult.failed(f"{len(found)} over-wide grant(s) to {', '.join(apps)}", found)
    return RuleResult.passed(
        f"{len(seen)} role assignment(s) of {len(principals)} identity(ies) checked, none too wide"
    )


def _judge_assignment(
    context: CheckContext, scope: str, app: str, principal: str, item: dict[str, Any]
) -> list[Evidence]:
    props = item.get("properties") or {}
    role_id = str(props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
    assigned_at = str(props.get("scope") or "")
    definition = (
        arm.arm_get(
            context,
            f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
            api_version=AUTHORIZATION_API,
        ).get("properties")
        or {}
    )
    role = str(definition.get("roleName") or PRIVILEGED_ROLES.get(role_id) or role_id)
    problems = []
    if role_id in PRIVILEGED_ROLES:
        problems.append(f"privileged role {PRIVILEGED_ROLES[role_id]}")
    broad = _broad_scope(assigned_at)
    if broad:
        problems.append(f"assigned at {broad}")
    problems += action_problems(list(definition.get("permissions") or []))
    return [
        {"app": app, "principal_id": principal, "role": role, "scope": assigned_at, "problem": p}
        for p in problems
    ]


@rule(
    "DEF-PLANS",
    title="Defender for Cloud watches App Service, Key Vault, Storage and Resource Manager",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Enable the Defender plans AppServices, KeyVaults, StorageAccounts and Arm "
    "(pricingTier Standard) on the subscription: they alert on key-listing, unusual secret "
    "reads and credential abuse that configuration checks cannot see.",
    reads="ARM: /subscriptions/<id>/providers/Microsoft.Security/pricings",
    permission="Reader (or Security Reader) on the subscriptions of POSTURE_SUBSCRIPTION_IDS",
    budget=60.0,
)
def defender_plans(context: CheckContext) -> RuleResult:
    if not context.value(POSTURE_SUBSCRIPTION_IDS):
        return RuleResult.skipped(NOT_CONFIGURED)
    found: list[Evidence] = []
    for sub in arm.subscriptions(context):
        pricings = arm.arm_list(
            context, f"/subscriptions/{sub}/providers/Microsoft.Security/pricings",
            api_version=PRICINGS_API,
        )  # fmt: skip
        tiers = {
            str(p.get("name")): (p.get("properties") or {}).get("pricingTier") for p in pricings
        }
        for plan, label in DEFENDER_PLANS.items():
            if tiers.get(plan) != "Standard":
                found.append({"subscription": sub, "plan": plan, "service": label,
                              "pricingTier": tiers.get(plan)})  # fmt: skip
    if found:
        plans = sorted({str(e["plan"]) for e in found})
        return RuleResult.failed(f"Defender plan(s) off: {', '.join(plans)}", found)
    return RuleResult.passed(f"{len(DEFENDER_PLANS)} Defender plans on in every subscription")
