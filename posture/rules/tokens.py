"""Runtime rules on tokens: identity-based connections work, as the right identity.

Both rules read the token prober's results (:mod:`posture.sources.probes`), probed
once per run.
"""

from __future__ import annotations

from posture.context import CheckContext
from posture.model import Evidence, RuleResult, Severity
from posture.rules.kinds import environment_rule
from posture.sources.probes import FAILURES, NOT_PROBED, OK, ProbeResult, probe_all

DATA_ROLES = "the data roles of each connection (e.g. Storage Blob Data Reader, Key Vault Reader)"


def _probe_evidence(result: ProbeResult) -> Evidence:
    endpoint = result.endpoint
    return {
        "setting": endpoint.setting,
        "service": endpoint.service,
        "outcome": result.outcome,
        "detail": result.detail,
        "http_status": result.http_status,
        "audience": result.claims.get("aud"),
        "token_ms": result.token_ms,
        "read_ms": result.read_ms,
    }


@environment_rule(
    "RT-CONN-TOKEN",
    title="Every identity-based connection gets a token the service accepts",
    severity=Severity.HIGH,
    remediation=(
        "For a refused or forbidden connection: assign the managed identity the data role on "
        "the resource (or the container/queue) the setting points at, check that the setting "
        "names the right account or vault and, in Azure, that `<CONN>__clientId` names the "
        "identity attached to the app. `no-token`: the identity is not attached or not reachable."
    ),
    reads="identity-based connection settings (`<CONN>__blobServiceUri`, `__queueServiceUri`, "
    "`__tableServiceUri`, `__serviceUri`, `KEY_VAULT_URI`); one token and one read per connection",
    permission=DATA_ROLES,
    budget=30.0,
)
def connection_token(context: CheckContext) -> RuleResult:
    results = probe_all(context)
    probed = [r for r in results if r.outcome != NOT_PROBED]
    evidence = [_probe_evidence(r) for r in results]
    if not probed:
        return RuleResult.unknown(
            "no identity-based connection to probe (no <CONN>__blobServiceUri, "
            "__queueServiceUri, __tableServiceUri, __serviceUri or KEY_VAULT_URI setting)",
            evidence,
        )
    failing = [r for r in probed if r.outcome in FAILURES]
    if failing:
        names = ", ".join(f"{r.endpoint.setting} ({r.outcome})" for r in failing)
        return RuleResult.failed(f"{len(failing)} connection(s) do not work: {names}", evidence)
    broken = [r for r in probed if r.outcome != OK]
    if broken:
        names = ", ".join(f"{r.endpoint.setting} ({r.outcome})" for r in broken)
        return RuleResult.error(f"could not probe {names}", evidence)
    return RuleResult.passed(f"{len(probed)} connection(s) accepted their token", evidence)


def _identity_problem(context: CheckContext, result: ProbeResult) -> str | None:
    claims = result.claims
    if not claims:
        return "the token is not a JWT: its identity cannot be read"
    if claims.get("user") or claims.get("idtyp") == "user":
        return "a user's (developer's) token, not the app's identity"
    connection = result.endpoint.connection
    expected = context.setting(f"{connection}__clientId") or context.setting("AZURE_CLIENT_ID")
    app_id = claims.get("appid") or claims.get("azp")
    if expected and app_id and app_id.lower() != expected.lower():
        return "a token for another client id than the configured managed identity"
    if context.in_azure and not claims.get("xms_mirid"):
        return "not a managed identity's token (no xms_mirid): a secret-based service principal?"
    return None


@environment_rule(
    "RT-TOKEN-IDENTITY",
    title="Tokens are issued to the app's managed identity",
    severity=Severity.MEDIUM,
    remediation=(
        "Make the managed identity the only credential the app can use: remove secret-based "
        "variables (RT-CRED-FALLBACK), pin AZURE_TOKEN_CREDENTIALS (RT-CRED-PINNED) and set "
        "AZURE_CLIENT_ID / `<CONN>__clientId` to the user-assigned identity's client id."
    ),
    reads="claims of the tokens the prober obtained (oid, appid/azp, idtyp, xms_mirid); "
    "AZURE_CLIENT_ID, `<CONN>__clientId`",
    permission="none beyond RT-CONN-TOKEN's",
    budget=30.0,
)
def token_identity(context: CheckContext) -> RuleResult:
    tokens = [r for r in probe_all(context) if r.token_ms is not None]
    if not tokens:
        return RuleResult.unknown("no token was obtained to read its identity (see RT-CONN-TOKEN)")
    evidence: list[Evidence] = []
    problems: list[str] = []
    for result in tokens:
        problem = _identity_problem(context, result)
        claims = result.claims
        evidence.append(
            {
                "setting": result.endpoint.setting,
                "oid": claims.get("oid"),
                "appid": claims.get("appid") or claims.get("azp"),
                "idtyp": claims.get("idtyp"),
                "managed_identity": claims.get("xms_mirid", "").rsplit("/", 1)[-1] or None,
                "problem": problem,
            }
        )
        if problem:
            problems.append(f"{result.endpoint.setting}: {problem}")
    if problems:
        return RuleResult.failed("; ".join(problems), evidence)
    identities = {(e["oid"], e["appid"]) for e in evidence}
    return RuleResult.passed(
        f"{len(tokens)} token(s), {len(identities)} identity: the app's managed identity", evidence
    )
