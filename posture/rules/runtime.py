"""Runtime rules on the environment: what only a checker inside the running app can see.

They need no permission: App Service hands the app its settings as environment
variables, so the app reads them as they are (Key Vault references already resolved).
Each is an :data:`posture.rules.kinds.environment_rule`, so it first makes sure the
environment is an app's: an empty environment holds no secret, and saying so would be a
blind pass.
"""

from __future__ import annotations

from datetime import datetime

from posture.context import CheckContext
from posture.model import Evidence, RuleResult, Severity
from posture.rules.kinds import environment_rule
from posture.sources.env import (
    CONTENT_SHARE_CONNECTION,
    FALLBACK_SETTINGS,
    HOST_STORAGE,
    OWNER_KEYED,
    OWNER_PLATFORM,
    OWNER_SAS,
    OWNER_SECRETS,
    SettingFacts,
    analyze_environment,
)
from shared.redaction.shapes import KIND_INSTRUMENTATION_KEY, SasInfo, scan

PINNED_VALUES = frozenset({"prod", "managedidentitycredential"})


def environment_facts(context: CheckContext) -> dict[str, SettingFacts]:
    """The run's analysis of the environment, computed once and shared by the rules.

    Only when something is found, and the control plane is configured, are the
    findings labelled as Key Vault references or inline values (one ARM call).
    """

    def build() -> dict[str, SettingFacts]:
        from posture.sources.arm import key_vault_reference_names

        facts = analyze_environment(context.env, fingerprint=context.fingerprint)
        if not any(f.owner != OWNER_PLATFORM for f in facts.values()):
            return facts
        references = key_vault_reference_names(context)
        if references is None:
            return facts
        return analyze_environment(
            context.env, fingerprint=context.fingerprint, kv_references=references
        )

    return context.memo("env-facts", build)


def _owned(context: CheckContext, owner: str) -> list[SettingFacts]:
    return [facts for facts in environment_facts(context).values() if facts.owner == owner]


def _names(facts: list[SettingFacts]) -> str:
    return ", ".join(f.name for f in facts)


def _secret_evidence(facts: SettingFacts) -> list[Evidence]:
    return [
        {
            "setting": facts.name,
            "kind": finding.kind,
            "fingerprint": finding.fingerprint,
            "declared": facts.declared,
            "source": facts.source,
        }
        for finding in facts.secrets
    ]


@environment_rule(
    "RT-ENV-SECRETS",
    title="No secret-shaped value in the app's environment",
    severity=Severity.CRITICAL,
    remediation=(
        "Replace the value with an identity-based setting (e.g. `<CONN>__serviceUri`) or move "
        "the secret to Key Vault and read it with the managed identity at run time; then "
        "rotate the exposed secret, since it has been in configuration."
    ),
    reads="process environment (app settings), secret patterns of shared/redaction/shapes.py",
)
def env_secrets(context: CheckContext) -> RuleResult:
    failing = _owned(context, OWNER_SECRETS)
    platform: list[Evidence] = [
        {"setting": f.name, "platform_managed": True} for f in _owned(context, OWNER_PLATFORM)
    ]
    if not failing:
        return RuleResult.passed("no app setting holds a secret-shaped value", platform)
    evidence = [item for facts in failing for item in _secret_evidence(facts)]
    return RuleResult.failed(
        f"{len(failing)} setting(s) hold secret-shaped values: {_names(failing)}",
        evidence + platform,
    )


@environment_rule(
    "RT-CRED-FALLBACK",
    title="No secret-based credential for DefaultAzureCredential to fall back to",
    severity=Severity.HIGH,
    remediation=(
        "Remove AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH/_PASSWORD, AZURE_USERNAME "
        "and AZURE_PASSWORD from the app settings; the managed identity needs none of them."
    ),
    reads="process environment: " + ", ".join(FALLBACK_SETTINGS),
)
def credential_fallback(context: CheckContext) -> RuleResult:
    present = [name for name in FALLBACK_SETTINGS if context.setting(name)]
    if not present:
        return RuleResult.passed("no secret-based credential variable is set")
    evidence: list[Evidence] = []
    for name in present:
        kinds = [f.kind for f in scan(context.env[name]) if f.is_secret]
        evidence.append({"setting": name, "kind": kinds[0] if kinds else None})
    complete = bool(context.setting("AZURE_TENANT_ID") and context.setting("AZURE_CLIENT_ID"))
    effect = (
        "DefaultAzureCredential uses it before the managed identity"
        if complete
        else "one more variable and DefaultAzureCredential would use it first"
    )
    return RuleResult.failed(f"{', '.join(present)} set: {effect}", evidence)


@environment_rule(
    "RT-CRED-PINNED",
    title="DefaultAzureCredential pinned to the managed identity in Azure",
    severity=Severity.MEDIUM,
    remediation=(
        "Set AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential (or `prod`) in the app settings "
        "so the credential chain can never reach a developer or secret-based credential."
    ),
    reads="process environment: AZURE_TOKEN_CREDENTIALS, WEBSITE_SITE_NAME, WEBSITE_INSTANCE_ID",
)
def credential_pinned(context: CheckContext) -> RuleResult:
    if not context.in_azure:
        return RuleResult.skipped("not running in Azure (WEBSITE_SITE_NAME is not set)")
    value = context.setting("AZURE_TOKEN_CREDENTIALS")
    shown = value if value and value.isalnum() and len(value) <= 40 else None
    evidence: list[Evidence] = [{"setting": "AZURE_TOKEN_CREDENTIALS", "value": shown}]
    if value is not None and value.lower() in PINNED_VALUES:
        return RuleResult.passed(f"AZURE_TOKEN_CREDENTIALS={value}", evidence)
    problem = "is not set" if value is None else "does not name prod or ManagedIdentityCredential"
    return RuleResult.failed(f"AZURE_TOKEN_CREDENTIALS {problem}", evidence)


def _sas_evidence(name: str, info: SasInfo, now: datetime) -> Evidence:
    return {
        "setting": name,
        "fingerprint": info.finding.fingerprint,
        "expires": info.expiry.isoformat() if info.expiry else None,
        "expired": bool(info.expiry and info.expiry <= now),
        "permissions": info.permissions,
        "signed_with": "account-key" if info.signed_with_account_key else "user-delegation-key",
    }


@environment_rule(
    "RT-CONN-KEYED",
    title="Connections are identity-based, not connection strings with keys",
    severity=Severity.HIGH,
    remediation=(
        "Replace the connection string with identity-based settings: "
        "`<CONN>__blobServiceUri`/`__queueServiceUri` (Storage), "
        "`<CONN>__fullyQualifiedNamespace` (Service Bus, Event Hubs); for the host's storage "
        "`AzureWebJobsStorage__blobServiceUri`/`__queueServiceUri`/`__tableServiceUri`. Grant "
        "the managed identity the data roles, disable shared keys, rotate the exposed key."
    ),
    reads=f"process environment: connection strings, {HOST_STORAGE}, {CONTENT_SHARE_CONNECTION}",
)
def connection_keyed(context: CheckContext) -> RuleResult:
    failing = _owned(context, OWNER_KEYED)
    if not failing:
        return RuleResult.passed("every connection setting is identity-based")
    evidence: list[Evidence] = []
    for facts in failing:
        item: dict[str, str | bool | None] = {
            "setting": facts.name,
            "keyed_by": ",".join(facts.keyed_by) or None,
            "kind": facts.secrets[0].kind if facts.secrets else None,
            "fingerprint": facts.secrets[0].fingerprint if facts.secrets else None,
            "source": facts.source,
        }
        if facts.name == HOST_STORAGE:
            item["form"] = "host storage as a connection string"
        elif facts.name == CONTENT_SHARE_CONNECTION:
            item["form"] = "content share connection string (Azure Files needs a key)"
        evidence.append(item)
        evidence.extend(_sas_evidence(facts.name, info, context.now) for info in facts.sas)
    return RuleResult.failed(
        f"{len(failing)} connection setting(s) carry a key: {_names(failing)}", evidence
    )


def _fields(value: str) -> dict[str, str]:
    """``Key=Value;...`` with lower-cased keys; parts without ``=`` are ignored."""
    pairs = (part.partition("=") for part in value.split(";"))
    return {key.strip().lower(): item.strip() for key, sep, item in pairs if sep}


@environment_rule(
    "RT-AI-AUTH",
    title="Application Insights telemetry is sent with Entra ID, not the instrumentation key",
    severity=Severity.MEDIUM,
    remediation=(
        "Set APPLICATIONINSIGHTS_AUTHENTICATION_STRING=ClientId=<identity client id>;"
        "Authorization=AAD, grant the identity Monitoring Metrics Publisher on the component "
        "and set DisableLocalAuth=true on it (AI-LOCALAUTH)."
    ),
    reads="process environment: APPLICATIONINSIGHTS_CONNECTION_STRING, "
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
)
def app_insights_auth(context: CheckContext) -> RuleResult:
    connection = context.setting("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if connection is None:
        return RuleResult.skipped("Application Insights is not configured")
    evidence: list[Evidence] = [
        {"setting": "APPLICATIONINSIGHTS_CONNECTION_STRING", "kind": f.kind}
        for f in scan(connection)
        if f.kind == KIND_INSTRUMENTATION_KEY
    ]
    auth = context.setting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")
    fields = _fields(auth or "")
    evidence.append(
        {"setting": "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "present": auth is not None}
    )
    if fields.get("authorization", "").lower() == "aad":
        return RuleResult.passed("telemetry is authenticated with Entra ID", evidence)
    return RuleResult.failed(
        "telemetry is sent with the instrumentation key only (no Authorization=AAD)", evidence
    )


@environment_rule(
    "RT-SAS-CLASSIFY",
    title="No shared access signature in the app's settings",
    severity=Severity.HIGH,
    remediation=(
        "Use the managed identity with the service instead of a SAS. Where a SAS is "
        "unavoidable, issue a short-lived user delegation SAS at run time; revoke an account-key "
        "SAS by rotating the key that signed it."
    ),
    reads="process environment: every value holding `sig=` with sv/se/sp parameters",
)
def sas_classify(context: CheckContext) -> RuleResult:
    failing = _owned(context, OWNER_SAS)
    if not failing:
        return RuleResult.passed("no setting holds a SAS")
    evidence = [
        _sas_evidence(facts.name, info, context.now) for facts in failing for info in facts.sas
    ]
    by_key = sum(1 for item in evidence if item["signed_with"] == "account-key")
    return RuleResult.failed(
        f"{len(evidence)} SAS in {_names(failing)} ({by_key} signed with an account key)",
        evidence,
    )
