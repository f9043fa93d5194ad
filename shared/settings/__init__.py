"""Every setting the app reads, declared once, with its meaning.

Longer than the other modules on purpose: it is the one registry, so every setting the
app and the posture checker read is declared here and nowhere else.

Every required setting appears in ``local.settings.sample.json`` (local),
the devstack's environment and ``infra/`` app settings (Azure); optional ones
(with a default, or off unless set) are declared here and set only where used.
Tests hold all three against this list.

Each setting carries its parser, so every reader gets the same typed value and the
same error: the app's :class:`Settings` (:func:`load_settings`) and the posture
checker (``CheckContext.value``) both read through :meth:`Setting.read`.

Reading settings fails early and loudly: a missing or malformed value is a
start-up error naming the setting, and so is a value shaped like a secret,
because this app keeps no secret in its configuration. Such an error names
the setting and the kind of secret, never the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Generic, NamedTuple, TypeVar

from shared.queues import HOST_ENCODINGS
from shared.redaction.shapes import INFO_KINDS, scan
from shared.settings._parsers import (
    Parser,
    choice,
    default_scope,
    flag,
    guid,
    guid_list,
    header_name,
    https_endpoint,
    https_url,
    https_url_list,
    issuer_list,
    loopback_or_https_url,
    path_list,
    positive_seconds,
    ratio,
    resource_group_list,
    secret_name,
    text,
    text_list,
    whole_number,
)
from shared.settings.errors import SettingsError, UnsafeEnvironmentError

__all__ = [
    "NOT_SECRET_NAMES",
    "EntraPartner",
    "Setting",
    "Settings",
    "SettingsError",
    "UnsafeEnvironmentError",
    "check_not_secret",
    "declared_not_secret",
    "declared_settings",
    "get_settings",
    "load_settings",
]

BOTH = frozenset({"local", "azure"})
AZURE = frozenset({"azure"})
LOCAL = frozenset({"local"})

T_co = TypeVar("T_co", covariant=True)


# -- the registry ----------------------------------------------------------------------------


class Setting(Generic[T_co]):
    """One setting: its name, its meaning, where it is set, its default and its parser.

    Read-only once built. A plain class with slots, not a frozen dataclass: every setting
    is declared when the app starts, and building a frozen dataclass costs that start about
    a millisecond and a half (P1 in docs/performance.md).
    """

    __slots__ = ("default", "meaning", "name", "parse", "required", "where")
    name: str
    meaning: str
    where: frozenset[str]
    required: bool
    default: str | None
    parse: Parser[T_co]

    def __init__(
        self,
        name: str,
        meaning: str,
        where: frozenset[str] = BOTH,
        required: bool = True,
        default: str | None = None,
        *,
        parse: Parser[T_co],
    ) -> None:
        fill = object.__setattr__
        fill(self, "name", name)
        fill(self, "meaning", meaning)
        fill(self, "where", where)
        fill(self, "required", required)
        fill(self, "default", default)
        fill(self, "parse", parse)

    def __setattr__(self, slot: str, value: object) -> None:
        raise AttributeError(f"setting {self.name} is read-only")

    def __repr__(self) -> str:
        return f"Setting({self.name!r})"

    def read(self, env: Mapping[str, str]) -> T_co | None:
        """The parsed value in ``env`` (blank counts as unset), else the parsed default;
        None when neither is there."""
        raw = (env.get(self.name) or "").strip() or self.default
        return None if raw is None else self.parse(self.name, raw)

    def get(self, env: Mapping[str, str]) -> T_co:
        """As :meth:`read`, for a setting that must have a value."""
        value = self.read(env)
        if value is None:
            raise SettingsError(self.name, f"is not set ({self.meaning})")
        return value


# The host's own storage (timers' locks, queue bookkeeping), identity-based.
HOST_BLOB_URI = Setting(
    "AzureWebJobsStorage__blobServiceUri", "Host storage: Blob endpoint.", parse=text
)
HOST_QUEUE_URI = Setting(
    "AzureWebJobsStorage__queueServiceUri", "Host storage: Queue endpoint.", parse=text
)
HOST_TABLE_URI = Setting(
    "AzureWebJobsStorage__tableServiceUri", "Host storage: Table endpoint.", parse=text
)
HOST_CREDENTIAL = Setting(
    "AzureWebJobsStorage__credential",
    "`managedidentity` in Azure; unset locally.",
    AZURE,
    required=False,
    parse=text,
)
HOST_CLIENT_ID = Setting(
    "AzureWebJobsStorage__clientId",
    "Client id of the user-assigned identity.",
    AZURE,
    required=False,
    parse=text,
)
# The jobs connection: the worker's queue trigger and the app's blobs.
JOBS_QUEUE_URI = Setting(
    "JobsStorage__queueServiceUri", "Jobs queue endpoint (trigger and sender).", parse=https_url
)
JOBS_BLOB_URI = Setting(
    "JobsStorage__blobServiceUri", "Blob endpoint for job state, results, reports.", parse=https_url
)
JOBS_CREDENTIAL = Setting(
    "JobsStorage__credential",
    "`managedidentity` in Azure; unset locally.",
    AZURE,
    required=False,
    parse=text,
)
JOBS_CLIENT_ID = Setting(
    "JobsStorage__clientId",
    "Client id of the user-assigned identity.",
    AZURE,
    required=False,
    parse=text,
)
# Identity.
AZURE_CLIENT_ID = Setting(
    "AZURE_CLIENT_ID",
    "Client id of the user-assigned managed identity.",
    AZURE,
    required=False,
    parse=text,
)
AZURE_TOKEN_CREDENTIALS = Setting(
    "AZURE_TOKEN_CREDENTIALS",
    "Narrows DefaultAzureCredential (ManagedIdentityCredential in Azure).",
    AZURE,
    required=False,
    parse=text,
)
# The partner API and how the app authenticates to it (docs/partner-entra.md).
PARTNER_AUTH = Setting(
    "PARTNER_AUTH",
    "`key` (the key in Key Vault) or `entra` (a token from the partner's tenant, no secret).",
    default="key",
    parse=choice("key", "entra"),
)
PARTNER_TENANT_ID = Setting(
    "PARTNER_TENANT_ID",
    "With `entra`: the partner's tenant, which issues the token.",
    required=False,
    parse=guid,
)
PARTNER_APP_CLIENT_ID = Setting(
    "PARTNER_APP_CLIENT_ID",
    "With `entra`: client id of the multi-tenant app registration the identity federates with.",
    required=False,
    parse=guid,
)
PARTNER_SCOPE = Setting(
    "PARTNER_SCOPE",
    "With `entra`: the partner API's scope, `<its application id URI>/.default`.",
    required=False,
    parse=default_scope,
)
PARTNER_AUTHORITY_HOST = Setting(
    "PARTNER_AUTHORITY_HOST",
    "With `entra`: the Entra authority that issues the token (another cloud's, or the devstack's).",
    required=False,
    default="https://login.microsoftonline.com",
    parse=https_endpoint,
)
#: The settings ``PARTNER_AUTH=entra`` needs; none of them is read with ``key``.
ENTRA_PARTNER_SETTINGS = (PARTNER_TENANT_ID, PARTNER_APP_CLIENT_ID, PARTNER_SCOPE)
# The partner key (``PARTNER_AUTH=key``), in Key Vault.
KEY_VAULT_URI = Setting(
    "KEY_VAULT_URI",
    "Key Vault holding the partner API key (needed with PARTNER_AUTH=key).",
    parse=https_url,
)
PARTNER_API_URL = Setting(
    "PARTNER_API_URL", "Base URL of the third-party (partner) API.", parse=https_url
)
PARTNER_API_KEY_SECRET_NAME = Setting(
    "PARTNER_API_KEY_SECRET_NAME",
    "Name of the Key Vault secret with the partner key.",
    default="partner-api-key",
    parse=secret_name,
)
PARTNER_API_KEY_HEADER = Setting(
    "PARTNER_API_KEY_HEADER",
    "Request header that carries the partner key.",
    default="X-Api-Key",
    parse=header_name,
)
PARTNER_CONNECT_TIMEOUT = Setting(
    "PARTNER_CONNECT_TIMEOUT_SECONDS",
    "Connect timeout for partner calls.",
    required=False,
    default="3.05",
    parse=positive_seconds,
)
PARTNER_READ_TIMEOUT = Setting(
    "PARTNER_READ_TIMEOUT_SECONDS",
    "Read timeout for partner calls.",
    required=False,
    default="10",
    parse=positive_seconds,
)
PARTNER_DEADLINE = Setting(
    "PARTNER_DEADLINE_SECONDS",
    "Longest a partner call may take, retries and reading the answer included.",
    required=False,
    default="15",
    parse=positive_seconds,
)
SECRET_CACHE_TTL = Setting(
    "SECRET_CACHE_TTL_SECONDS",
    "How long a fetched secret is reused in memory.",
    default="300",
    parse=positive_seconds,
)
# Posture checker.
POSTURE_SCHEDULE = Setting(
    "POSTURE_SCHEDULE",
    "NCRONTAB schedule of the posture checker (six fields).",
    default="0 0 */6 * * *",
    parse=text,
)
POSTURE_SUBSCRIPTION_IDS = Setting(
    "POSTURE_SUBSCRIPTION_IDS",
    "Comma-separated subscriptions for control-plane rules.",
    required=False,
    parse=guid_list,
)
POSTURE_RESOURCE_GROUPS = Setting(
    "POSTURE_RESOURCE_GROUPS",
    "Comma-separated resource groups narrowing the control-plane rules (default: all).",
    required=False,
    parse=resource_group_list,
)
POSTURE_ARM_ENDPOINT = Setting(
    "POSTURE_ARM_ENDPOINT",
    "Azure Resource Manager endpoint (another cloud's); default https://management.azure.com.",
    required=False,
    default="https://management.azure.com",
    parse=https_endpoint,
)
POSTURE_GRAPH_ENABLED = Setting(
    "POSTURE_GRAPH_ENABLED",
    "`true` to run the Microsoft Graph (Entra) rules.",
    required=False,
    default="false",
    parse=flag,
)
POSTURE_GRAPH_ENDPOINT = Setting(
    "POSTURE_GRAPH_ENDPOINT",
    "Microsoft Graph endpoint (another cloud's); default https://graph.microsoft.com.",
    required=False,
    default="https://graph.microsoft.com",
    parse=https_endpoint,
)
POSTURE_SECRET_EXPIRY_DAYS = Setting(
    "POSTURE_SECRET_EXPIRY_DAYS",
    "Warn when a secret expires within this many days.",
    required=False,
    default="30",
    parse=whole_number(0),
)
POSTURE_ROTATION_DAYS = Setting(
    "POSTURE_ROTATION_DAYS",
    "A secret not updated for this long is stale.",
    required=False,
    default="90",
    parse=whole_number(1),
)
POSTURE_SECRET_MAX_VALIDITY_DAYS = Setting(
    "POSTURE_SECRET_MAX_VALIDITY_DAYS",
    "A secret valid (expiry minus creation) for longer than this is too long-lived.",
    required=False,
    default="365",
    parse=whole_number(1),
)
POSTURE_AUTH_EXCLUDED_PATHS = Setting(
    "POSTURE_AUTH_EXCLUDED_PATHS",
    "Paths App Service Authentication may leave open (comma-separated).",
    required=False,
    default="/api/health,/api/openapi.json",
    parse=path_list,
)
POSTURE_AUTH_PROBE_URL = Setting(
    "POSTURE_AUTH_PROBE_URL",
    "A protected route of this app, called without a token (default: https://<WEBSITE_HOSTNAME>/api/posture).",
    required=False,
    parse=loopback_or_https_url,
)
POSTURE_LOG_WORKSPACE_ID = Setting(
    "POSTURE_LOG_WORKSPACE_ID",
    "Log Analytics workspace (customer) id whose app telemetry is scanned for secrets.",
    required=False,
    parse=guid,
)
POSTURE_LOGS_ENDPOINT = Setting(
    "POSTURE_LOGS_ENDPOINT",
    "Azure Monitor Logs query endpoint (another cloud's); default https://api.loganalytics.io.",
    required=False,
    default="https://api.loganalytics.io",
    parse=https_endpoint,
)
POSTURE_LOG_LOOKBACK_HOURS = Setting(
    "POSTURE_LOG_LOOKBACK_HOURS",
    "Hours of telemetry the log scan reads.",
    required=False,
    default="24",
    parse=whole_number(1),
)
POSTURE_NETWORK_MODE = Setting(
    "POSTURE_NETWORK_MODE",
    "`private` or `public`: the declared exposure NET-PUBLIC judges against (unset: skipped).",
    required=False,
    parse=choice("private", "public"),
)
POSTURE_FIC_ISSUERS = Setting(
    "POSTURE_FIC_ISSUERS",
    "Issuers federated credentials may trust besides this tenant (comma-separated).",
    required=False,
    default="https://token.actions.githubusercontent.com",
    parse=https_url_list,
)
POSTURE_WORKLOAD_ID_PREMIUM = Setting(
    "POSTURE_WORKLOAD_ID_PREMIUM",
    "`true` when the tenant holds Workload Identities Premium (Conditional Access for workloads).",
    required=False,
    default="false",
    parse=flag,
)
POSTURE_ROTATION_PRINCIPAL_ID = Setting(
    "POSTURE_ROTATION_PRINCIPAL_ID",
    "Object id of the service principal that rotates application credentials.",
    required=False,
    parse=guid,
)
# Telemetry (Entra-authenticated ingestion, no instrumentation key auth).
APPLICATIONINSIGHTS_CONNECTION_STRING = Setting(
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "Application Insights resource.",
    AZURE,
    required=False,
    parse=text,
)
APPLICATIONINSIGHTS_AUTHENTICATION_STRING = Setting(
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "`ClientId=<identity>;Authorization=AAD`: telemetry sent with the identity.",
    AZURE,
    required=False,
    parse=text,
)
# Tracing (docs/tracing.md): one trace per job, scrubbed; OpenTelemetry loads only when on.
TRACING_SAMPLE_RATIO = Setting(
    "TRACING_SAMPLE_RATIO",
    "Share of traces kept, 0 to 1, decided by trace id (one job: all its spans or none); "
    "0 turns tracing off and OpenTelemetry is never imported.",
    required=False, default="1", parse=ratio,
)  # fmt: skip
PYTHON_ENABLE_OPENTELEMETRY = Setting(
    "PYTHON_ENABLE_OPENTELEMETRY",
    "`true`: the Python worker makes each invocation's trace context current (and the host "
    "leaves the worker's logs to the app's exporter).",
    required=False, default="false", parse=flag,
)  # fmt: skip
OTEL_EXPORTER_OTLP_ENDPOINT = Setting(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTLP/HTTP endpoint the app sends its spans to; the devstack sets its control plane's.",
    LOCAL, required=False, parse=loopback_or_https_url,
)  # fmt: skip
# Rotation of the partner key (docs/rotation.md): in Azure an app and an identity of its own.
APP_FUNCTIONS = Setting(
    "APP_FUNCTIONS", "`all` (local), `api` or `rotation`: the functions this app hosts.",
    required=False, default="all", parse=choice("all", "api", "rotation"),
)  # fmt: skip
ROTATION_CLIENT_ID = Setting(
    "ROTATION_CLIENT_ID", "Client id of the identity that rotates (writes) the partner key.",
    required=False, parse=text,
)  # fmt: skip
ROTATION_STATE_CONTAINER_URL = Setting(
    "ROTATION_STATE_CONTAINER_URL", "Blob container of the rotation's lease and state.",
    required=False, parse=https_endpoint,
)  # fmt: skip
ROTATION_SCHEDULE = Setting(
    "ROTATION_SCHEDULE", "NCRONTAB schedule of the rotation's daily safety net.",
    required=False, default="0 30 2 * * *", parse=text,
)  # fmt: skip
ROTATION_WINDOW_DAYS = Setting(
    "ROTATION_WINDOW_DAYS", "Rotate when the current key expires within this many days.",
    required=False, default="30", parse=whole_number(1),
)  # fmt: skip
ROTATION_KEY_LIFETIME_DAYS = Setting(
    "ROTATION_KEY_LIFETIME_DAYS", "Days from a rotation to the new version's expiry.",
    required=False, default="90", parse=whole_number(2),
)  # fmt: skip
ROTATION_GRACE_SECONDS = Setting(
    "ROTATION_GRACE_SECONDS", "How long the old key stays valid at the partner after a rotation.",
    required=False, default="900", parse=positive_seconds,
)  # fmt: skip
ROTATION_CLOCK_SKEW_SECONDS = Setting(
    "ROTATION_CLOCK_SKEW_SECONDS", "Clock skew allowed; the grace must exceed cache TTL + skew.",
    required=False, default="300", parse=positive_seconds,
)  # fmt: skip
QUEUES_MESSAGE_ENCODING = Setting(
    "AzureFunctionsJobHost__extensions__queues__messageEncoding",
    "`none` on the rotation app: events reach it as Event Grid wrote them (shared/queues.py).",
    AZURE, required=False, parse=choice(*HOST_ENCODINGS),
)  # fmt: skip
# The Functions host itself (not read by the app code).
FUNCTIONS_WORKER_RUNTIME = Setting(
    "FUNCTIONS_WORKER_RUNTIME",
    "`python`; set by functionAppConfig on Flex Consumption.",
    LOCAL,
    required=False,
    parse=text,
)
# The outbox (shared/jobs/outbox.py): jobs cut off between their state write and their message.
OUTBOX_SCHEDULE = Setting(
    "OUTBOX_SCHEDULE",
    "NCRONTAB schedule of the outbox reconciler (six fields).",
    default="0 */1 * * * *",
    parse=text,
)
OUTBOX_RESEND_AFTER = Setting(
    "OUTBOX_RESEND_AFTER_SECONDS",
    "Age at which a job cut off before its message is sent again, and an Idempotency-Key "
    "claim whose job never appeared is taken over.",
    required=False,
    default="60",
    parse=positive_seconds,
)
# Callers' Entra tokens, verified by the app itself as well as by App Service Authentication.
CALLER_TOKEN_ISSUERS = Setting(
    "CALLER_TOKEN_ISSUERS",
    "Comma-separated issuers (`iss`) of the caller tokens the API accepts.",
    parse=issuer_list,
)
CALLER_TOKEN_AUDIENCES = Setting(
    "CALLER_TOKEN_AUDIENCES",
    "Comma-separated audiences (`aud`) the API accepts (its app registration).",
    parse=text_list,
)
CALLER_TOKEN_JWKS_URL = Setting(
    "CALLER_TOKEN_JWKS_URL",
    "Where the issuer publishes its token signing keys (JWKS).",
    parse=loopback_or_https_url,
)

DECLARED: tuple[Setting[Any], ...] = (
    HOST_BLOB_URI,
    HOST_QUEUE_URI,
    HOST_TABLE_URI,
    HOST_CREDENTIAL,
    HOST_CLIENT_ID,
    JOBS_QUEUE_URI,
    JOBS_BLOB_URI,
    JOBS_CREDENTIAL,
    JOBS_CLIENT_ID,
    AZURE_CLIENT_ID,
    AZURE_TOKEN_CREDENTIALS,
    PARTNER_AUTH,
    PARTNER_TENANT_ID,
    PARTNER_APP_CLIENT_ID,
    PARTNER_SCOPE,
    PARTNER_AUTHORITY_HOST,
    KEY_VAULT_URI,
    PARTNER_API_URL,
    PARTNER_API_KEY_SECRET_NAME,
    PARTNER_API_KEY_HEADER,
    PARTNER_CONNECT_TIMEOUT,
    PARTNER_READ_TIMEOUT,
    PARTNER_DEADLINE,
    SECRET_CACHE_TTL,
    POSTURE_SCHEDULE,
    POSTURE_SUBSCRIPTION_IDS,
    POSTURE_RESOURCE_GROUPS,
    POSTURE_ARM_ENDPOINT,
    POSTURE_GRAPH_ENABLED,
    POSTURE_GRAPH_ENDPOINT,
    POSTURE_SECRET_EXPIRY_DAYS,
    POSTURE_ROTATION_DAYS,
    POSTURE_SECRET_MAX_VALIDITY_DAYS,
    POSTURE_AUTH_EXCLUDED_PATHS,
    POSTURE_AUTH_PROBE_URL,
    POSTURE_LOG_WORKSPACE_ID,
    POSTURE_LOGS_ENDPOINT,
    POSTURE_LOG_LOOKBACK_HOURS,
    POSTURE_NETWORK_MODE,
    POSTURE_FIC_ISSUERS,
    POSTURE_WORKLOAD_ID_PREMIUM,
    POSTURE_ROTATION_PRINCIPAL_ID,
    APPLICATIONINSIGHTS_CONNECTION_STRING,
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
    *(TRACING_SAMPLE_RATIO, PYTHON_ENABLE_OPENTELEMETRY, OTEL_EXPORTER_OTLP_ENDPOINT),
    FUNCTIONS_WORKER_RUNTIME,
    OUTBOX_SCHEDULE,
    OUTBOX_RESEND_AFTER,
    CALLER_TOKEN_ISSUERS,
    CALLER_TOKEN_AUDIENCES,
    CALLER_TOKEN_JWKS_URL,
    *(APP_FUNCTIONS, ROTATION_CLIENT_ID, ROTATION_STATE_CONTAINER_URL, ROTATION_SCHEDULE),
    *(ROTATION_WINDOW_DAYS, ROTATION_KEY_LIFETIME_DAYS, ROTATION_GRACE_SECONDS),
    *(ROTATION_CLOCK_SKEW_SECONDS, QUEUES_MESSAGE_ENCODING),
)


def declared_settings() -> tuple[Setting[Any], ...]:
    return DECLARED


#: Names that end like a secret's (``KEY``, ``SECRET``, ``TOKEN``, ``PASSWORD``, ``PWD``) and
#: hold none, declared so the environment scan (:mod:`shared.settings.environment`) lets them
#: be: the shell's working directories (POSIX ``sh``: ``PWD``, ``OLDPWD``) and Application
#: Insights' instrumentation key, which "aren't considered secrets" (Connection strings in
#: Application Insights, https://learn.microsoft.com/azure/azure-monitor/app/sdk-connection-
#: string). Every setting declared above is non-secret too: this app keeps no secret in its
#: settings.
NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD", "APPINSIGHTS_INSTRUMENTATIONKEY"})


_DECLARED_NAMES = frozenset(setting.name for setting in DECLARED)


def declared_not_secret(name: str) -> bool:
    """Whether ``name`` is declared here as holding no secret, whatever its name says."""
    return name in NOT_SECRET_NAMES or name in _DECLARED_NAMES


def check_not_secret(name: str, value: str) -> None:
    """Refuse a secret-shaped value, naming the setting and the kind, never the value."""
    findings = [finding for finding in scan(value) if finding.kind not in INFO_KINDS]
    if findings:
        raise SettingsError(
            name,
            f"holds a value shaped like a secret ({findings[0].kind}); this app takes no "
            "secrets in settings: use an identity-based setting or a Key Vault secret",
        )


class EntraPartner(NamedTuple):
    """Where the partner's token comes from (``PARTNER_AUTH=entra``): its tenant, the app
    registration the managed identity federates with, the partner's scope, the authority."""

    tenant_id: str
    app_client_id: str
    scope: str
    authority_host: str
    identity_client_id: str | None  # AZURE_CLIENT_ID: the user-assigned identity (Azure only)


class Settings(NamedTuple):
    """The app's typed settings; build with :func:`load_settings`.

    ``key_vault_uri`` is None only with ``partner_auth == "entra"``, and ``entra`` is set
    exactly then: the app then reads no vault and needs none.
    """

    jobs_queue_service_uri: str
    jobs_blob_service_uri: str
    partner_auth: str
    entra: EntraPartner | None
    key_vault_uri: str | None
    partner_api_url: str
    partner_api_key_secret_name: str
    partner_api_key_header: str
    partner_connect_timeout: float
    partner_read_timeout: float
    partner_deadline: float
    secret_cache_ttl: float
    posture_schedule: str
    outbox_resend_after: float
    caller_token_issuers: list[str]
    caller_token_audiences: list[str]
    caller_token_jwks_url: str


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every declared setting present in ``environ``."""
    env = os.environ if environ is None else environ
    for spec in DECLARED:  # every value once, read by the app or not
        if env.get(spec.name):
            check_not_secret(spec.name, env[spec.name])
    partner_auth = PARTNER_AUTH.get(env)
    return Settings(
        jobs_queue_service_uri=JOBS_QUEUE_URI.get(env),
        jobs_blob_service_uri=JOBS_BLOB_URI.get(env),
        partner_auth=partner_auth,
        entra=_entra_partner(env) if partner_auth == "entra" else None,
        key_vault_uri=KEY_VAULT_URI.get(env) if partner_auth == "key" else KEY_VAULT_URI.read(env),
        partner_api_url=PARTNER_API_URL.get(env),
        partner_api_key_secret_name=PARTNER_API_KEY_SECRET_NAME.get(env),
        partner_api_key_header=PARTNER_API_KEY_HEADER.get(env),
        partner_connect_timeout=PARTNER_CONNECT_TIMEOUT.get(env),
        partner_read_timeout=PARTNER_READ_TIMEOUT.get(env),
        partner_deadline=PARTNER_DEADLINE.get(env),
        secret_cache_ttl=SECRET_CACHE_TTL.get(env),
        posture_schedule=POSTURE_SCHEDULE.get(env),
        outbox_resend_after=OUTBOX_RESEND_AFTER.get(env),
        caller_token_issuers=CALLER_TOKEN_ISSUERS.get(env),
        caller_token_audiences=CALLER_TOKEN_AUDIENCES.get(env),
        caller_token_jwks_url=CALLER_TOKEN_JWKS_URL.get(env),
    )


def _entra_partner(env: Mapping[str, str]) -> EntraPartner:
    """The three settings ``PARTNER_AUTH=entra`` needs, each named when it is missing."""
    for spec in ENTRA_PARTNER_SETTINGS:
        if spec.read(env) is None:
            raise SettingsError(
                spec.name, f"is not set, and {PARTNER_AUTH.name}=entra needs it ({spec.meaning})"
            )
    return EntraPartner(
        tenant_id=PARTNER_TENANT_ID.get(env),
        app_client_id=PARTNER_APP_CLIENT_ID.get(env),
        scope=PARTNER_SCOPE.get(env),
        authority_host=PARTNER_AUTHORITY_HOST.get(env),
        identity_client_id=AZURE_CLIENT_ID.read(env),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, validated once on first use."""
    return load_settings()
