"""Audit-trail rules: the vault's audit log has a destination; no secret in history or telemetry.

KV-AUDIT and DEPLOY-SECRETS read ARM (Reader): a vault's diagnostic settings
(Diagnostic Settings - List, 2021-05-01-preview) and the deployment history of each
scope (Deployments - List By Resource Group / At Subscription Scope, 2024-03-01: each
deployment's ``properties.parameters`` and ``properties.outputs`` with their values).
LOG-SECRETS reads the app's telemetry through the Logs query API (Log Analytics Reader on
the workspace). Evidence names where a secret is (deployment, parameter, table, column),
its kind and fingerprint, never the value.
"""

from __future__ import annotations

import json
from typing import Any, Final

from posture.context import CheckContext
from posture.errors import Unseen
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.rules.judge import READER, VAULTS
from posture.rules.kinds import resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource
from posture.sources.logs import MAX_ROWS, scan_telemetry
from shared.redaction.shapes import scan
from shared.settings import (
    POSTURE_LOG_LOOKBACK_HOURS,
    POSTURE_LOG_WORKSPACE_ID,
    POSTURE_RESOURCE_GROUPS,
)

DIAGNOSTICS_API: Final = "2021-05-01-preview"
DEPLOYMENTS_API: Final = "2024-03-01"
AUDIT_GROUPS: Final = frozenset({"audit", "alllogs"})
DESTINATIONS: Final = (
    "workspaceId",
    "storageAccountId",
    "eventHubAuthorizationRuleId",
    "marketplacePartnerId",
)


def audits(setting: dict[str, Any]) -> bool:
    """A diagnostic setting that sends AuditEvent (or its audit/allLogs group) somewhere."""
    props = setting.get("properties") or {}
    if not any(props.get(d) for d in DESTINATIONS):
        return False
    for log in props.get("logs") or []:
        category = str(log.get("category") or "")
        group = str(log.get("categoryGroup") or "").lower()
        if log.get("enabled") is True and (category == "AuditEvent" or group in AUDIT_GROUPS):
            return True
    return False


@resource_rule(
    "KV-AUDIT",
    title="Every Key Vault sends its AuditEvent log to a destination",
    severity=Severity.HIGH,
    scope=VAULTS,
    remediation="Add a diagnostic setting on the vault with the AuditEvent category (or the "
    "audit category group) enabled and a Log Analytics workspace, storage account or event hub "
    "as destination: it is the only record of who read the partner key.",
    reads="ARM: <vault>/providers/Microsoft.Insights/diagnosticSettings",
)
def vault_audit(context: CheckContext, r: ArmResource) -> list[tuple[str, Any]]:
    settings = arm.arm_list(
        context, f"{r.id}/providers/Microsoft.Insights/diagnosticSettings",
        api_version=DIAGNOSTICS_API,
    )  # fmt: skip
    if any(audits(s) for s in settings):
        return []
    return [("diagnosticSettings.AuditEvent", f"{len(settings)} setting(s), none auditing")]


def _deployment_scopes(context: CheckContext) -> list[str]:
    """Resource groups in scope, and the subscriptions themselves unless groups narrow it."""
    found = list(arm.scopes(context))
    if not context.value(POSTURE_RESOURCE_GROUPS):
        groups = {(r.id.split("/")[2], r.resource_group) for r in arm.arm_resources(context)}
        found += [f"/subscriptions/{s}/resourceGroups/{g}" for s, g in sorted(groups) if g]
    return found


def _findings(
    context: CheckContext, deployment: str, scope: str, section: str, values: Any
) -> list[Evidence]:
    found: list[Evidence] = []
    for name, entry in (values or {}).items():
        value = entry.get("value") if isinstance(entry, dict) else None
        text = value if isinstance(value, str) else json.dumps(value) if value is not None else ""
        for hit in scan(text):
            if hit.is_secret:
                digest = context.fingerprint(text[hit.start : hit.end])
                found.append({"deployment": deployment, "scope": scope, "section": section,
                              "name": str(name), "kind": hit.kind,
                              "fingerprint": digest})  # fmt: skip
    return found


@rule(
    "DEPLOY-SECRETS",
    title="No secret in the deployment history's parameters or outputs",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Rotate the secret now (deployment history is readable by every Reader), "
    "delete the deployment record, and pass secrets as @secure() parameters or Key Vault "
    "references; never output them.",
    reads="ARM: deployments of each resource group and subscription in scope "
    "(properties.parameters and properties.outputs)",
    permission=READER + " (the subscriptions' own deployments need it on the subscription)",
)
def deployment_secrets(context: CheckContext) -> RuleResult:
    found: list[Evidence] = []
    count = 0
    scopes = _deployment_scopes(context)
    for scope in scopes:
        path = f"{scope}/providers/Microsoft.Resources/deployments"
        for item in arm.arm_list(context, path, api_version=DEPLOYMENTS_API):
            count += 1
            props = item.get("properties") or {}
            name = str(item.get("name") or "")
            found += _findings(context, name, scope, "parameters", props.get("parameters"))
            found += _findings(context, name, scope, "outputs", props.get("outputs"))
    if not found and not count:
        raise Unseen(
            f"no deployment history at {', '.join(scopes)}: the deployment's scope holds at "
            "least the deployment that created it (a wrong scope, or the history was deleted)"
        )
    if found:
        names = sorted({f"{e['deployment']}.{e['section']}.{e['name']}" for e in found})
        return RuleResult.failed(
            f"{len(found)} secret(s) in deployment history: {', '.join(names[:5])}", found
        )
    return RuleResult.passed(f"{count} deployment(s) hold no secret-shaped parameter or output")


@rule(
    "LOG-SECRETS",
    title="No secret in the app's recent telemetry (traces, exceptions, dependencies, requests)",
    severity=Severity.HIGH,
    category=Category.CONTROL_PLANE,
    remediation="Find the code path that logged it (the evidence names table and column), "
    "route it through the redaction filter, rotate the secret (the workspace's readers have "
    "seen it) and purge the rows (Log Analytics purge API) if policy requires.",
    reads="Logs query API: AppTraces, AppExceptions, AppDependencies, AppRequests of "
    "POSTURE_LOG_WORKSPACE_ID over POSTURE_LOG_LOOKBACK_HOURS (default 24)",
    permission="Log Analytics Reader on the workspace",
)
def telemetry_secrets(context: CheckContext) -> RuleResult:
    if not context.value(POSTURE_LOG_WORKSPACE_ID):
        raise Unseen(
            f"no workspace to scan ({POSTURE_LOG_WORKSPACE_ID.name} is not set): set it to the "
            "workspace (customer) id the app's Application Insights writes to"
        )
    result = scan_telemetry(context)
    reach: Evidence = {
        "rows": result.rows,
        "truncated": result.truncated,
        "partial": result.partial,
    }
    found: list[Evidence] = [
        {"table": f.table, "column": f.column, "kind": f.kind, "fingerprint": f.fingerprint,
         "count": f.count}
        for f in result.findings.values()
    ]  # fmt: skip
    if found:
        where = sorted({f"{e['table']}.{e['column']}" for e in found})
        return RuleResult.failed(
            f"{len(found)} secret(s) in telemetry: {', '.join(where)}", [*found, reach]
        )
    if result.partial:
        return RuleResult.error(
            "the Logs query answered only in part; nothing found so far", [reach]
        )
    hours = POSTURE_LOG_LOOKBACK_HOURS.get(context.env)
    if result.truncated:
        return RuleResult.unknown(
            f"more than {MAX_ROWS} telemetry rows in the last {hours} hours: only the newest "
            f"{MAX_ROWS} were scanned (none held a secret); shorten "
            f"{POSTURE_LOG_LOOKBACK_HOURS.name} so the scan covers every row",
            [reach],
        )
    if not result.rows:
        return RuleResult.unknown(
            f"the workspace returned no app telemetry in the last {hours} hours: a wrong "
            f"{POSTURE_LOG_WORKSPACE_ID.name}, no Log Analytics Reader role, or the app sends "
            "its telemetry elsewhere",
            [reach],
        )
    return RuleResult.passed(f"{result.rows} telemetry row(s) hold no secret", [reach])
