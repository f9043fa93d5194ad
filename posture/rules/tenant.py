"""Tenant governance rules: who may create, consent to, federate with and rotate app credentials.

``unknown`` unless ``POSTURE_GRAPH_ENABLED=true`` (two are skipped by a declaration of
their own: no Workload Identities Premium, no rotation identity). Like the other Entra
rules they judge the whole tenant; evidence names apps, ids, policy
flags and counts, never a credential.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Final

from posture.context import CheckContext
from posture.model import Evidence, RuleResult, Severity
from posture.rules.judge import GRAPH_APPS as APPS
from posture.rules.judge import GRAPH_POLICY as POLICY
from posture.rules.kinds import graph_rule
from posture.sources.directory import (
    Application,
    admin_consent_policy,
    app_role_assignments,
    applications,
    authorization_policy,
    conditional_access_policies,
    directory_role_assignments,
    federated_credentials,
    service_principals,
)
from posture.sources.graph import tenant_id
from shared.settings import (
    POSTURE_FIC_ISSUERS,
    POSTURE_ROTATION_PRINCIPAL_ID,
    POSTURE_WORKLOAD_ID_PREMIUM,
)

ROLES = "Graph application permission RoleManagement.Read.Directory"
EXCHANGE_AUDIENCE: Final = "api://AzureADTokenExchange"
GITHUB_ISSUER: Final = "https://token.actions.githubusercontent.com"
#: repo:<owner>/<repo>:environment:<name> or :ref:refs/heads|tags/<name>, nothing looser.
_PINNED_GITHUB = re.compile(
    r"^repo:[\w.-]+/[\w.-]+:(environment:[^:*]+|ref:refs/(heads|tags)/[^:*]+)$"
)
#: Entra built-in role template ids that can update any application's credentials
#: (Entra built-in roles reference): tenant-wide power a rotation job must not hold.
TENANT_WIDE_ROLES: Final = {
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
}
#: Microsoft Graph application permissions (app role ids) that write every application.
TENANT_WIDE_APP_ROLES: Final = {
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
}
CREDENTIAL_UPDATE: Final = "microsoft.directory/applications/credentials/update"
#: The legacy user-consent policy: users may consent to any app for any permission.
LEGACY_CONSENT: Final = "microsoft-user-default-legacy"


def _own_issuer(context: CheckContext) -> str | None:
    tenant = tenant_id(context)
    return f"https://login.microsoftonline.com/{tenant}/v2.0" if tenant else None


@graph_rule(
    "ENT-FIC",
    title="Federated credentials are pinned; multi-tenant apps federate instead of holding secrets",
    severity=Severity.HIGH,
    needs=APPS,
    remediation="Give every federated credential the audience api://AzureADTokenExchange, an "
    "issuer of POSTURE_FIC_ISSUERS or this tenant, and for GitHub a subject pinned to an "
    "environment or a branch/tag (never pull_request or a wildcard); replace a multi-tenant "
    "app's password or certificate with a managed identity as its federated credential.",
    reads="Graph: applications (signInAudience, credential counts) and each application's "
    "federatedIdentityCredentials; POSTURE_FIC_ISSUERS",
    permission=APPS,
)
def federated_credentials_pinned(context: CheckContext) -> RuleResult:
    own = _own_issuer(context)
    allowed = set(context.value(POSTURE_FIC_ISSUERS) or []) | ({own} if own else set())
    found: list[Evidence] = []
    apps = applications(context)
    checked = 0
    for app in apps:
        fics = federated_credentials(context, app)
        checked += len(fics)
        for fic in fics:
            for problem in fic_problems(fic.issuer, fic.subject, fic.audiences, allowed):
                found.append(
                    {"app": app.name, "app_id": app.app_id, "credential": fic.name,
                     "issuer": fic.issuer, "problem": problem}
                )  # fmt: skip
        if (
            app.multi_tenant
            and app.holds_credential
            and not any(own and fic.issuer.rstrip("/") == own for fic in fics)
        ):
            found.append(
                {"app": app.name, "app_id": app.app_id, "credential": None,
                 "issuer": None, "problem": "multi-tenant app holds a password or "
                 "certificate and no managed identity federated credential"}
            )  # fmt: skip
    if found:
        apps_at_fault = sorted({str(e["app"]) for e in found})
        return RuleResult.failed(
            f"{len(found)} federated credential problem(s) on {', '.join(apps_at_fault[:5])}",
            found,
        )
    return RuleResult.passed(
        f"{checked} federated credential(s) on {len(apps)} app(s) pinned",
        [{"apps": len(apps), "federated_credentials": checked}],
    )


def fic_problems(
    issuer: str, subject: str, audiences: tuple[str, ...], allowed: set[str]
) -> list[str]:
    problems = []
    if list(audiences) != [EXCHANGE_AUDIENCE]:
        problems.append(f"audiences are not exactly {EXCHANGE_AUDIENCE}")
    if issuer.rstrip("/") not in allowed:
        problems.append("issuer not in the allow-list")
    if issuer.rstrip("/") == GITHUB_ISSUER and not _PINNED_GITHUB.match(subject):
        if ":pull_request" in subject:
            problems.append("GitHub subject trusts pull requests")
        else:
            problems.append("GitHub subject not pinned to an environment or a branch/tag")
    return problems


@graph_rule(
    "ENT-WORKLOAD-CA",
    title="Conditional Access covers single-tenant service principals that hold a credential",
    severity=Severity.MEDIUM,
    needs=f"{POLICY} and {APPS}",
    remediation="Create an enabled Conditional Access policy for workload identities "
    "(clientApplications.includeServicePrincipals: ServicePrincipalsInMyTenant or the listed "
    "ones), e.g. blocking sign-ins from outside named locations; or remove the credentials "
    "(ENT-APP-SECRETS).",
    reads="Graph: identity/conditionalAccess/policies; applications and servicePrincipals "
    "(signInAudience, servicePrincipalType, whether they hold credentials); "
    "POSTURE_WORKLOAD_ID_PREMIUM",
    permission=f"{POLICY}; {APPS}",
)
def workload_conditional_access(context: CheckContext) -> RuleResult:
    if not context.value(POSTURE_WORKLOAD_ID_PREMIUM):
        return RuleResult.skipped(
            "Conditional Access for workload identities needs Workload Identities Premium "
            f"({POSTURE_WORKLOAD_ID_PREMIUM.name} is not true)"
        )
    tenant = tenant_id(context)
    single = {a.app_id for a in applications(context) if not a.multi_tenant}
    holding = {a.app_id for a in applications(context) if a.holds_credential}
    targets = [
        sp
        for sp in service_principals(context)
        if sp.kind == "Application"
        and sp.app_id in single
        and (sp.holds_credential or sp.app_id in holding)
        and (not tenant or not sp.owner_tenant or sp.owner_tenant == tenant)
    ]
    if not targets:
        return RuleResult.passed("no single-tenant service principal holds a credential")
    covered: set[str] = set()
    excluded: set[str] = set()
    for policy in conditional_access_policies(context):
        if str(policy.get("state")) != "enabled":
            continue
        apps = ((policy.get("conditions") or {}).get("clientApplications")) or {}
        include = set(apps.get("includeServicePrincipals") or [])
        exclude = set(apps.get("excludeServicePrincipals") or [])
        for sp in targets:
            if sp.id in exclude:
                excluded.add(sp.id)
            elif sp.id in include or "ServicePrincipalsInMyTenant" in include:
                covered.add(sp.id)
    missing = [sp for sp in targets if sp.id not in covered]
    evidence: list[Evidence] = [
        {"service_principal": sp.name, "app_id": sp.app_id, "covered": sp.id in covered,
         "excluded_somewhere": sp.id in excluded}
        for sp in targets
    ]  # fmt: skip
    if missing:
        return RuleResult.failed(
            f"{len(missing)} credential-holding service principal(s) outside Conditional "
            f"Access: {', '.join(sp.name for sp in missing[:5])}",
            evidence,
        )
    return RuleResult.passed(f"{len(targets)} service principal(s) covered", evidence)


@graph_rule(
    "ENT-APP-GOVERNANCE",
    title="Users cannot register apps or consent freely; apps have owners and are not abandoned",
    severity=Severity.MEDIUM,
    needs=f"{POLICY} and {APPS}",
    remediation="In the authorization policy set allowedToCreateApps=false and assign no "
    "user-consent policy (or only microsoft-user-default-low); turn the admin consent request "
    "workflow on; give every app registration an owner; delete registrations whose every "
    "credential has expired.",
    reads="Graph: policies/authorizationPolicy (defaultUserRolePermissions), "
    "policies/adminConsentRequestPolicy, applications ($expand=owners, credential end dates)",
    permission=f"{POLICY}; {APPS}",
)
def app_governance(context: CheckContext) -> RuleResult:
    found: list[Evidence] = []
    defaults = authorization_policy(context).get("defaultUserRolePermissions") or {}
    if defaults.get("allowedToCreateApps") is not False:
        found.append({"setting": "allowedToCreateApps", "problem": "users can register apps"})
    consent = [
        str(p) for p in defaults.get("permissionGrantPoliciesAssigned") or []
        if "ManagePermissionGrantsForSelf" in str(p)
    ]  # fmt: skip
    loose = [p for p in consent if not p.endswith("microsoft-user-default-low")]
    if loose:
        found.append({"setting": "permissionGrantPoliciesAssigned",
                      "problem": f"users may consent ({', '.join(loose)})"})  # fmt: skip
    if admin_consent_policy(context).get("isEnabled") is not True:
        found.append({"setting": "adminConsentRequestPolicy.isEnabled",
                      "problem": "no admin consent workflow"})  # fmt: skip
    apps = applications(context)
    for app in apps:
        if app.owners == 0:
            found.append({"app": app.name, "app_id": app.app_id, "problem": "no owner"})
        if _abandoned(app, context):
            found.append({"app": app.name, "app_id": app.app_id,
                          "problem": "every credential expired"})  # fmt: skip
    if found:
        return RuleResult.failed(f"{len(found)} governance gap(s)", found)
    return RuleResult.passed(
        f"app registration and consent restricted; {len(apps)} app(s) owned and in use"
    )


def _abandoned(app: Application, context: CheckContext) -> bool:
    """Credentials were issued, all have ended over a month ago: nobody renews this app."""
    ends = app.credential_ends
    cutoff = context.now - timedelta(days=30)
    return bool(ends) and all(end is not None and end < cutoff for end in ends)


@graph_rule(
    "ENT-ROTATION-ROLE",
    title="Credential rotation runs under a custom role scoped to the app, not tenant-wide",
    severity=Severity.MEDIUM,
    needs=f"{ROLES} and {APPS}",
    remediation="Create a custom Entra role with only microsoft.directory/applications/"
    "credentials/update, assign it to the rotation identity at the scope of the one app "
    "(directoryScopeId /<application object id>), and remove Application/Cloud Application/"
    "Global/Privileged Role Administrator and Application.ReadWrite.All from it.",
    reads="Graph: roleManagement/directory/roleAssignments of POSTURE_ROTATION_PRINCIPAL_ID "
    "($expand=roleDefinition) and its appRoleAssignments",
    permission=f"{ROLES}; {APPS}",
)
def rotation_role(context: CheckContext) -> RuleResult:
    principal = context.value(POSTURE_ROTATION_PRINCIPAL_ID)
    if not principal:
        return RuleResult.skipped(
            f"no rotation identity to judge ({POSTURE_ROTATION_PRINCIPAL_ID.name} is not set)"
        )
    found: list[Evidence] = []
    scoped = 0
    for item in directory_role_assignments(context, principal):
        definition: dict[str, Any] = item.get("roleDefinition") or {}
        template = str(definition.get("templateId") or definition.get("id") or "")
        scope = str(item.get("directoryScopeId") or "/")
        name = str(definition.get("displayName") or template)
        actions = {
            str(a).lower()
            for perm in definition.get("rolePermissions") or []
            for a in perm.get("allowedResourceActions") or []
        }
        if template in TENANT_WIDE_ROLES:
            found.append({"role": name, "scope": scope, "problem": "tenant-wide built-in role"})
        elif definition.get("isBuiltIn") is False and actions == {CREDENTIAL_UPDATE}:
            if scope == "/":
                found.append({"role": name, "scope": scope, "problem": "scoped to the tenant"})
            else:
                scoped += 1
    for grant in app_role_assignments(context, principal):
        role = TENANT_WIDE_APP_ROLES.get(str(grant.get("appRoleId")))
        if role:
            found.append({"role": role, "scope": "/", "problem": "tenant-wide Graph permission"})
    if not found and not scoped:
        missing = "no custom credential-update role scoped to an app"
        found.append({"role": None, "scope": None, "problem": missing})
    if found:
        return RuleResult.failed(f"the rotation identity: {found[0]['problem']}", found)
    return RuleResult.passed(f"{scoped} app-scoped custom credential role assignment(s)")
