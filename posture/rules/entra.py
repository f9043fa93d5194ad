"""Entra rules: no app or service principal holds a secret, and the tenant forbids them.

Skipped unless ``POSTURE_GRAPH_ENABLED=true``. They judge the whole tenant, which is
where a forgotten client secret of another app lives; evidence names the app, its
app id, the credential's key id and dates: never the credential's hint.
"""

from __future__ import annotations

from collections.abc import Callable

from posture.context import CheckContext
from posture.errors import GraphError
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.sources.graph import (
    AppCredential,
    app_credentials,
    app_policy,
    parse_duration,
    restriction,
)
from shared.settings import POSTURE_GRAPH_ENABLED, POSTURE_SECRET_EXPIRY_DAYS

NOT_ENABLED = f"Microsoft Graph rules are off ({POSTURE_GRAPH_ENABLED.name} is not true)"
APPS = "Graph application permission Application.Read.All"
POLICY = "Graph application permission Policy.Read.All"
#: The passwordCredentials restrictions of an app management policy (Graph
#: passwordCredentialConfiguration.restrictionType), all four enforced for a tenant without
#: secrets: no new passwords, no new symmetric keys, and bounded lifetimes for old ones.
RESTRICTIONS = (
    "passwordAddition",
    "passwordLifetime",
    "symmetricKeyAddition",
    "symmetricKeyLifetime",
)
_TARGET = {
    "application": "applicationRestrictions",
    "servicePrincipal": "servicePrincipalRestrictions",
}


def _lifetime_restriction(kind: str) -> str:
    """The policy restriction that bounds the lifetime of a credential of ``kind``."""
    return "asymmetricKeyLifetime" if kind == "certificate" else f"{kind}Lifetime"


def _graph(context: CheckContext, judge: Callable[[], RuleResult]) -> RuleResult:
    if not context.value(POSTURE_GRAPH_ENABLED):
        return RuleResult.skipped(NOT_ENABLED)
    try:
        return judge()
    except GraphError as exc:
        return RuleResult.error(f"{exc} (needs {APPS} and {POLICY})")


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


@rule(
    "ENT-APP-SECRETS",
    title="No app registration or service principal holds a client secret",
    severity=Severity.HIGH,
    category=Category.ENTRA,
    remediation="Replace client secrets with managed identities or federated credentials "
    "(workload identity federation for CI), then remove the secrets; block new ones with the "
    "app management policy's passwordAddition restriction (ENT-APP-POLICY).",
    reads="Graph: applications and servicePrincipals ($select passwordCredentials)",
    permission=APPS,
    budget=60.0,
)
def app_secrets(context: CheckContext) -> RuleResult:
    def judge() -> RuleResult:
        active = [
            c
            for c in app_credentials(context)
            if c.kind == "password" and (c.end is None or c.end > context.now)
        ]
        if not active:
            return RuleResult.passed("no active client secret in the tenant")
        owners = sorted({c.owner for c in active})
        return RuleResult.failed(
            f"{len(active)} client secret(s) on {len(owners)} object(s): {', '.join(owners[:5])}",
            [_evidence(c) for c in active],
        )

    return _graph(context, judge)


@rule(
    "ENT-CRED-EXPIRY",
    title="App credentials end, are not expired or about to expire, not too long-lived",
    severity=Severity.MEDIUM,
    category=Category.ENTRA,
    remediation="Remove expired credentials and those with no end date; renew (or better, "
    "replace with a federated credential) those expiring within the window; issue credentials "
    "no longer-lived than the policy's passwordLifetime / asymmetricKeyLifetime.",
    reads="Graph: credentials' startDateTime/endDateTime; the default app management policy's "
    "lifetimes; POSTURE_SECRET_EXPIRY_DAYS (default 30)",
    permission=f"{APPS}; {POLICY} for the lifetime check",
    budget=60.0,
)
def credential_expiry(context: CheckContext) -> RuleResult:
    def judge() -> RuleResult:
        window = POSTURE_SECRET_EXPIRY_DAYS.get(context.env)
        try:
            policy = app_policy(context)
        except GraphError:
            policy = {}  # no Policy.Read.All: judge expiry only
        found: list[Evidence] = []
        for cred in app_credentials(context):
            if cred.end is None:
                found.append(_evidence(cred, problem="no end date"))
                continue
            days_left = (cred.end - context.now).total_seconds() / 86400
            limit = restriction(policy, _TARGET[cred.owner_type], _lifetime_restriction(cred.kind))
            longest = parse_duration((limit or {}).get("maxLifetime"))
            if days_left <= 0:
                found.append(_evidence(cred, problem="expired"))
            elif days_left <= window:
                found.append(_evidence(cred, problem=f"expires in {days_left:.0f} days"))
            elif longest and cred.start and cred.end - cred.start > longest:
                found.append(_evidence(cred, problem="lives longer than the policy allows"))
        if not found:
            return RuleResult.passed(f"no credential expired or expiring within {window} days")
        return RuleResult.failed(f"{len(found)} credential(s) need attention", found)

    return _graph(context, judge)


@rule(
    "ENT-APP-POLICY",
    title="The tenant's default app management policy enforces all four secret restrictions",
    severity=Severity.MEDIUM,
    category=Category.ENTRA,
    remediation="Enable the default app management policy (PATCH "
    "/policies/defaultAppManagementPolicy) with the passwordAddition, passwordLifetime, "
    "symmetricKeyAddition and symmetricKeyLifetime restrictions, for applications and for "
    "service principals.",
    reads="Graph: /policies/defaultAppManagementPolicy",
    permission=POLICY,
    budget=60.0,
)
def app_policy_rule(context: CheckContext) -> RuleResult:
    def judge() -> RuleResult:
        policy = app_policy(context)
        evidence: list[Evidence] = [
            {"policy": "default", "isEnabled": bool(policy.get("isEnabled"))}
        ]
        if not policy.get("isEnabled"):
            return RuleResult.failed("the default app management policy is disabled", evidence)
        missing = []
        for owner_type, target in _TARGET.items():
            present = {kind: bool(restriction(policy, target, kind)) for kind in RESTRICTIONS}
            evidence.append({"target": owner_type, **present})
            missing += [f"{owner_type} {kind}" for kind, on in present.items() if not on]
        if missing:
            return RuleResult.failed(
                f"{len(missing)} restriction(s) not enforced: {', '.join(missing)}", evidence
            )
        return RuleResult.passed("client secrets are restricted by the tenant policy", evidence)

    return _graph(context, judge)
