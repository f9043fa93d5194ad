"""Entra rules: no app or service principal holds a secret, and the tenant forbids them.

``unknown`` unless ``POSTURE_GRAPH_ENABLED=true``: a tenant nobody looked at is not a
tenant without secrets. They judge the whole tenant, which is where a forgotten client
secret of another app lives; evidence names the app, its app id, the credential's key id
and dates: never the credential's hint. A symmetric key credential counts as a secret.
"""

from __future__ import annotations

from posture.context import CheckContext
from posture.errors import GraphError
from posture.model import Evidence, RuleResult, Severity
from posture.rules.judge import GRAPH_APPS as APPS
from posture.rules.judge import GRAPH_POLICY as POLICY
from posture.rules.kinds import graph_rule
from posture.sources.graph import (
    AppCredential,
    app_credentials,
    app_policy,
    custom_policies,
    parse_duration,
    restriction,
)
from shared.settings import POSTURE_SECRET_EXPIRY_DAYS

#: The restrictions of an app management policy (Graph passwordCredentialConfiguration and
#: keyCredentialConfiguration restrictionType) a tenant without secrets enforces: no new
#: passwords, custom passwords or symmetric keys, bounded lifetimes for the old ones and
#: for certificates (prowler's m365 entra_default_app_management_policy_enabled asks for
#: passwordAddition, passwordLifetime, customPasswordAddition and asymmetricKeyLifetime).
RESTRICTIONS = (
    "passwordAddition",
    "passwordLifetime",
    "customPasswordAddition",
    "symmetricKeyAddition",
    "symmetricKeyLifetime",
    "asymmetricKeyLifetime",
)
SECRET_KINDS = frozenset({"password", "symmetric"})
#: What every rule here asks for when Graph refuses it.
NEEDS = f"{APPS} and {POLICY}"
_TARGET = {
    "application": "applicationRestrictions",
    "servicePrincipal": "servicePrincipalRestrictions",
}


def _lifetime_restriction(kind: str) -> str:
    """The policy restriction that bounds the lifetime of a credential of ``kind``."""
    return {"certificate": "asymmetricKeyLifetime", "symmetric": "symmetricKeyLifetime"}.get(
        kind, f"{kind}Lifetime"
    )


def _evidence(cred: AppCredential, **extra: str | float | bool | None) -> Evidence:
    return {
        "owner_type": cred.owner_type,
        "owner": cred.owner,
        "app_id": cred.app_id,
        "key_id": cred.key_id,
        "kind": cred.kind,
        "end": cred.end.isoformat() if cred.end else None,
        **extra,
    }


@graph_rule(
    "ENT-APP-SECRETS",
    title="No app registration or service principal holds a client secret or symmetric key",
    severity=Severity.HIGH,
    needs=NEEDS,
    remediation="Replace client secrets with managed identities or federated credentials "
    "(workload identity federation for CI), then remove the secrets; block new ones with the "
    "app management policy's passwordAddition restriction (ENT-APP-POLICY).",
    reads="Graph: applications and servicePrincipals ($select passwordCredentials, "
    "keyCredentials: a Symmetric key is a secret too)",
    permission=APPS,
)
def app_secrets(context: CheckContext) -> RuleResult:
    active = [
        c
        for c in app_credentials(context)
        if c.kind in SECRET_KINDS and (c.end is None or c.end > context.now)
    ]
    if not active:
        return RuleResult.passed("no active client secret or symmetric key in the tenant")
    owners = sorted({c.owner for c in active})
    return RuleResult.failed(
        f"{len(active)} client secret(s) or symmetric key(s) on {len(owners)} object(s): "
        f"{', '.join(owners[:5])}",
        [_evidence(c) for c in active],
    )


@graph_rule(
    "ENT-CRED-EXPIRY",
    title="App credentials end, are not expired or about to expire, not too long-lived",
    severity=Severity.MEDIUM,
    needs=NEEDS,
    remediation="Remove expired credentials and those with no end date; renew (or better, "
    "replace with a federated credential) those expiring within the window; issue credentials "
    "no longer-lived than the policy's passwordLifetime / asymmetricKeyLifetime.",
    reads="Graph: credentials' startDateTime/endDateTime; the default app management policy's "
    "lifetimes; POSTURE_SECRET_EXPIRY_DAYS (default 30)",
    permission=f"{APPS}; {POLICY} for the lifetime check",
)
def credential_expiry(context: CheckContext) -> RuleResult:
    window = POSTURE_SECRET_EXPIRY_DAYS.get(context.env)
    unread: GraphError | None = None
    try:
        policy = app_policy(context)
    except GraphError as exc:
        policy, unread = {}, exc  # expiry is judged; lifetimes cannot be
    found: list[Evidence] = []
    for cred in app_credentials(context):
        if cred.end is None:
            found.append(_evidence(cred, problem="no end date"))
            continue
        days_left = (cred.end - context.now).total_seconds() / 86400
        limit = restriction(
            policy, _TARGET[cred.owner_type], _lifetime_restriction(cred.kind),
            now=context.now,
        )  # fmt: skip
        longest = parse_duration((limit or {}).get("maxLifetime"))
        if days_left <= 0:
            found.append(_evidence(cred, problem="expired"))
        elif days_left <= window:
            found.append(_evidence(cred, problem=f"expires in {days_left:.0f} days"))
        elif longest and cred.start and cred.end - cred.start > longest:
            found.append(_evidence(cred, problem="lives longer than the policy allows"))
    if found:
        return RuleResult.failed(f"{len(found)} credential(s) need attention", found)
    if unread is not None:
        return RuleResult.unknown(
            f"no credential expired or expiring within {window} days, but lifetimes were "
            f"not judged: the app management policy could not be read ({unread}; needs "
            f"{POLICY})"
        )
    return RuleResult.passed(f"no credential expired or expiring within {window} days")


@graph_rule(
    "ENT-APP-POLICY",
    title="App management policies enforce every secret restriction, for every app, now",
    severity=Severity.MEDIUM,
    needs=NEEDS,
    remediation="Enable the default app management policy (PATCH "
    "/policies/defaultAppManagementPolicy) with the passwordAddition, passwordLifetime, "
    "customPasswordAddition, symmetricKeyAddition, symmetricKeyLifetime and "
    "asymmetricKeyLifetime restrictions, for applications and for service principals, with no "
    "restrictForAppsCreatedAfterDateTime in the future; give every enabled custom policy "
    "(/policies/appManagementPolicies) the same restrictions, since it replaces the default "
    "for the apps it is assigned to.",
    reads="Graph: /policies/defaultAppManagementPolicy and /policies/appManagementPolicies",
    permission=POLICY,
)
def app_policy_rule(context: CheckContext) -> RuleResult:
    policy = app_policy(context)
    evidence: list[Evidence] = [{"policy": "default", "isEnabled": bool(policy.get("isEnabled"))}]
    if not policy.get("isEnabled"):
        return RuleResult.failed("the default app management policy is disabled", evidence)
    missing = []
    for owner_type, target in _TARGET.items():
        present = {
            kind: bool(restriction(policy, target, kind, now=context.now)) for kind in RESTRICTIONS
        }
        evidence.append({"policy": "default", "target": owner_type, **present})
        missing += [f"{owner_type} {kind}" for kind, on in present.items() if not on]
    for custom in custom_policies(context):
        if not custom.get("isEnabled"):
            continue
        name = str(custom.get("displayName") or custom.get("id") or "")
        present = {
            kind: bool(restriction(custom, "restrictions", kind, now=context.now))
            for kind in RESTRICTIONS
        }
        evidence.append({"policy": name, "target": "assigned apps", **present})
        missing += [f"custom policy {name}: {kind}" for kind, on in present.items() if not on]
    if missing:
        return RuleResult.failed(
            f"{len(missing)} restriction(s) not in force: {', '.join(missing)}", evidence
        )
    return RuleResult.passed("client secrets are restricted by every policy", evidence)
