"""Access rules: what the apps' identities may do in Azure, who owns the subscription, Defender.

MI-LEAST-PRIVILEGE lists the role assignments of every identity attached to an app in
scope with the Role Assignments API and its ``principalId eq`` filter, which returns the
assignments "at, above or below the scope" (Role Assignments - List For Resource Group,
2022-04-01): Reader on the resource group is enough to see an Owner granted at the
subscription or a management group. Each assigned role definition is judged by the
operations it grants (:mod:`posture.rules.permissions`), not by the shape of its
wildcards: Storage Blob Data Owner's ``containers/*`` hands out no key; Storage Account
Contributor's ``storageAccounts/*`` does (``listKeys``). DEF-PLANS reads the subscription's
Defender for Cloud pricings (Pricings - List, 2024-01-01); SUB-ADMINS the assignments at the
subscription itself (``$filter=atScope()``) and its custom roles; both need a
subscription-level reader.
"""

from __future__ import annotations

from typing import Any, Final

from posture.context import CheckContext
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.rules.judge import READER
from posture.rules.permissions import (
    OWNER,
    PRIVILEGED_ROLES,
    USER_ACCESS_ADMINISTRATOR,
    role_problems,
)
from posture.sources import arm
from shared.settings import POSTURE_FIC_ISSUERS

AUTHORIZATION_API: Final = "2022-04-01"
IDENTITY_API: Final = "2023-01-31"
PRICINGS_API: Final = "2024-01-01"
MAX_OWNERS: Final = 3
#: Defender for Cloud plans (pricing names) for what this app is built of.
DEFENDER_PLANS: Final = {
    "AppServices": "App Service",
    "KeyVaults": "Key Vault",
    "StorageAccounts": "Storage",
    "Arm": "Resource Manager",
}
SUBSCRIPTION_READER: Final = "Reader (or Security Reader) on the subscriptions of " \
    "POSTURE_SUBSCRIPTION_IDS"  # fmt: skip


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


def _assignments(context: CheckContext, scope: str, odata_filter: str) -> list[dict[str, Any]]:
    return arm.arm_list(
        context,
        f"{scope}/providers/Microsoft.Authorization/roleAssignments",
        api_version=AUTHORIZATION_API,
        params={"$filter": odata_filter},
    )


@rule(
    "MI-LEAST-PRIVILEGE",
    title="App identities hold no admin role, no key-listing action, nothing at subscription scope",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Remove Owner, Contributor, User Access Administrator and Role Based Access "
    "Control Administrator from the app's identity, and every assignment at subscription or "
    "management-group scope; grant data roles (Storage Blob Data Contributor, Key Vault Secrets "
    "User, ...) on the one resource, container, queue or secret the code uses, never a role "
    "that lists keys (Storage Account Contributor: listKeys) or reads every secret of a vault.",
    reads="Resource Graph: the identities of sites and slots; ARM: roleAssignments "
    "($filter=principalId eq ...) at each scope in POSTURE_RESOURCE_GROUPS or "
    "POSTURE_SUBSCRIPTION_IDS, and each assigned roleDefinition's actions and dataActions",
    permission=READER,
)
def identity_least_privilege(context: CheckContext) -> RuleResult:
    principals = principal_ids(context)
    if not principals:
        return RuleResult.skipped("no app in scope has an identity (APP-IDENTITY fails that)")
    found: list[Evidence] = []
    seen: set[str] = set()
    for scope in arm.scopes(context):
        for principal, app in sorted(principals.items()):
            for item in _assignments(context, scope, f"principalId eq '{principal}'"):
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


def _definition(context: CheckContext, scope: str, role_id: str) -> dict[str, Any]:
    body = arm.arm_get(
        context,
        f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
        api_version=AUTHORIZATION_API,
    )
    properties: dict[str, Any] = body.get("properties") or {}
    return properties


def _judge_assignment(
    context: CheckContext, scope: str, app: str, principal: str, item: dict[str, Any]
) -> list[Evidence]:
    props = item.get("properties") or {}
    role_id = str(props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
    assigned_at = str(props.get("scope") or "")
    definition = _definition(context, scope, role_id)
    role = str(definition.get("roleName") or PRIVILEGED_ROLES.get(role_id) or role_id)
    problems = role_problems(role_id, assigned_at, list(definition.get("permissions") or []))
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
    permission=SUBSCRIPTION_READER,
)
def defender_plans(context: CheckContext) -> RuleResult:
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


def _role_of(assignment: dict[str, Any]) -> str:
    props = assignment.get("properties") or {}
    return str(props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()


def _at(assignment: dict[str, Any], scope: str) -> bool:
    props = assignment.get("properties") or {}
    return str(props.get("scope") or "").rstrip("/").lower() == scope.lower()


@rule(
    "SUB-ADMINS",
    title="Each subscription has at most three Owners, no standing User Access Administrator, "
    "no owner-like custom role",
    severity=Severity.LOW,
    category=Category.CONTROL_PLANE,
    remediation="Remove standing Owner assignments at the subscription until three or fewer "
    "remain and every User Access Administrator assignment there (use Privileged Identity "
    "Management for just-in-time elevation); delete custom roles whose actions are `*`. Each "
    "of them can grant any identity, this app's included, any role.",
    reads="ARM: /subscriptions/<id>/providers/Microsoft.Authorization/roleAssignments "
    "($filter=atScope()) and roleDefinitions ($filter=type eq 'CustomRole')",
    permission=SUBSCRIPTION_READER,
)
def subscription_admins(context: CheckContext) -> RuleResult:
    found: list[Evidence] = []
    counts: list[Evidence] = []
    for sub in arm.subscriptions(context):
        scope = f"/subscriptions/{sub}"
        direct = [a for a in _assignments(context, scope, "atScope()") if _at(a, scope)]
        owners = sum(1 for a in direct if _role_of(a) == OWNER)
        admins = sum(1 for a in direct if _role_of(a) == USER_ACCESS_ADMINISTRATOR)
        counts.append({"subscription": sub, "owners": owners, "user_access_admins": admins})
        if owners > MAX_OWNERS:
            found.append({"subscription": sub, "problem": f"{owners} Owners (at most "
                          f"{MAX_OWNERS})"})  # fmt: skip
        if admins:
            found.append({"subscription": sub, "problem": f"{admins} standing User Access "
                          "Administrator assignment(s)"})  # fmt: skip
        custom = arm.arm_list(
            context, f"{scope}/providers/Microsoft.Authorization/roleDefinitions",
            api_version=AUTHORIZATION_API, params={"$filter": "type eq 'CustomRole'"},
        )  # fmt: skip
        for definition in custom:
            props = definition.get("properties") or {}
            if any("*" in (p.get("actions") or []) for p in props.get("permissions") or []):
                found.append({"subscription": sub, "role": props.get("roleName"),
                              "problem": "custom role grants every action (*)"})  # fmt: skip
    if found:
        return RuleResult.failed(f"{len(found)} subscription administration problem(s)", found)
    return RuleResult.passed("subscription administration is limited", counts)


def identity_ids(context: CheckContext) -> dict[str, str]:
    """User-assigned identity resource id -> the app it runs, for every app and slot."""
    found: dict[str, str] = {}
    for site in arm.sites(context):
        for rid in (site.identity or {}).get("userAssignedIdentities") or {}:
            found.setdefault(str(rid), site.name)
    return found


@rule(
    "MI-FIC",
    title="The apps' managed identities trust only allowed issuers, pinned subjects",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Remove every federated credential of an app's managed identity whose issuer is "
    "not in POSTURE_FIC_ISSUERS, whose audience is not exactly api://AzureADTokenExchange, or "
    "whose GitHub subject is not pinned to an environment or a branch/tag: each lets that "
    "issuer's tokens act as the app.",
    reads="Resource Graph: the user-assigned identities of sites and slots; ARM: each "
    "identity's federatedIdentityCredentials (issuer, subject, audiences); POSTURE_FIC_ISSUERS",
    permission=READER,
)
def identity_federation(context: CheckContext) -> RuleResult:
    from posture.rules.tenant import fic_problems

    allowed = set(context.value(POSTURE_FIC_ISSUERS) or [])
    identities = identity_ids(context)
    if not identities:
        return RuleResult.skipped("no app in scope runs as a user-assigned identity")
    found: list[Evidence] = []
    checked = 0
    for rid, app in sorted(identities.items()):
        listed = arm.arm_list(
            context, f"{rid}/federatedIdentityCredentials", api_version=IDENTITY_API
        )
        for fic in listed:
            checked += 1
            props = fic.get("properties") or {}
            audiences = tuple(str(a) for a in props.get("audiences") or [])
            for problem in fic_problems(
                str(props.get("issuer") or ""), str(props.get("subject") or ""), audiences, allowed
            ):
                found.append({"app": app, "resource_id": rid, "credential": fic.get("name"),
                              "issuer": props.get("issuer"), "problem": problem})  # fmt: skip
    if found:
        return RuleResult.failed(f"{len(found)} federated credential problem(s)", found)
    return RuleResult.passed(
        f"{checked} federated credential(s) of {len(identities)} identity(ies) pinned"
    )
