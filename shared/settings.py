"""Every setting the app reads, declared once, with its meaning.

Every required setting appears in ``local.settings.sample.json`` (local),
the devstack's environment and ``infra/`` app settings (Azure); optional ones
(with a default, or off unless set) are declared here and set only where used.
Tests hold all three against this list.

Reading settings fails early and loudly: a missing or malformed value is a
start-up error naming the setting, and so is a value shaped like a secret,
because this app keeps no secret in its configuration. Such an error names
the setting and the kind of secret, never the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from shared.secretshapes import INFO_KINDS, scan

BOTH = frozenset({"local", "azure"})
AZURE = frozenset({"azure"})
LOCAL = frozenset({"local"})


class SettingsError(ValueError):
    """A setting is missing, malformed or secret-shaped. ``setting`` names it."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"app setting {setting}: {problem}")
        self.setting = setting


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    meaning: str
    where: frozenset[str] = BOTH
    required: bool = True
    default: str | None = None


DECLARED: tuple[Setting, ...] = (
    # The host's own storage (timers' locks, queue bookkeeping), identity-based.
    Setting("AzureWebJobsStorage__blobServiceUri", "Host storage: Blob endpoint."),
    Setting("AzureWebJobsStorage__queueServiceUri", "Host storage: Queue endpoint."),
    Setting("AzureWebJobsStorage__tableServiceUri", "Host storage: Table endpoint."),
    Setting(
        "AzureWebJobsStorage__credential",
        "`managedidentity` in Azure; unset locally.",
        AZURE,
        required=False,
    ),
    Setting(
        "AzureWebJobsStorage__clientId",
        "Client id of the user-assigned identity.",
        AZURE,
        required=False,
    ),
    # The jobs connection: the worker's queue trigger and the app's blobs.
    Setting("JobsStorage__queueServiceUri", "Jobs queue endpoint (trigger and sender)."),
    Setting("JobsStorage__blobServiceUri", "Blob endpoint for job state, results, reports."),
    Setting(
        "JobsStorage__credential",
        "`managedidentity` in Azure; unset locally.",
        AZURE,
        required=False,
    ),
    Setting(
        "JobsStorage__clientId", "Client id of the user-assigned identity.", AZURE, required=False
    ),
    # Identity.
    Setting(
        "AZURE_CLIENT_ID", "Client id of the user-assigned managed identity.", AZURE, required=False
    ),
    Setting(
        "AZURE_TOKEN_CREDENTIALS",
        "Narrows DefaultAzureCredential (ManagedIdentityCredential in Azure).",
        AZURE,
        required=False,
    ),
    # The partner API and its one secret.
    Setting("KEY_VAULT_URI", "Key Vault holding the partner API key."),
    Setting("PARTNER_API_URL", "Base URL of the third-party (partner) API."),
    Setting(
        "PARTNER_API_KEY_SECRET_NAME",
        "Name of the Key Vault secret with the partner key.",
        default="partner-api-key",
    ),
    Setting(
        "PARTNER_API_KEY_HEADER",
        "Request header that carries the partner key.",
        default="X-Api-Key",
    ),
    Setting(
        "PARTNER_CONNECT_TIMEOUT_SECONDS",
        "Connect timeout for partner calls.",
        required=False,
        default="3.05",
    ),
    Setting(
        "PARTNER_READ_TIMEOUT_SECONDS",
        "Read timeout for partner calls.",
        required=False,
        default="10",
    ),
    Setting(
        "SECRET_CACHE_TTL_SECONDS", "How long a fetched secret is reused in memory.", default="300"
    ),
    # Posture checker.
    Setting(
        "POSTURE_SCHEDULE",
        "NCRONTAB schedule of the posture checker (six fields).",
        default="0 0 */6 * * *",
    ),
    Setting(
        "POSTURE_SUBSCRIPTION_IDS",
        "Comma-separated subscriptions for control-plane rules.",
        required=False,
    ),
    Setting(
        "POSTURE_RESOURCE_GROUPS",
        "Comma-separated resource groups narrowing the control-plane rules (default: all).",
        required=False,
    ),
    Setting(
        "POSTURE_ARM_ENDPOINT",
        "Azure Resource Manager endpoint (another cloud's); default https://management.azure.com.",
        required=False,
    ),
    Setting(
        "POSTURE_GRAPH_ENABLED",
        "`true` to run the Microsoft Graph (Entra) rules.",
        required=False,
        default="false",
    ),
    Setting(
        "POSTURE_GRAPH_ENDPOINT",
        "Microsoft Graph endpoint (another cloud's); default https://graph.microsoft.com.",
        required=False,
    ),
    Setting(
        "POSTURE_SECRET_EXPIRY_DAYS",
        "Warn when a secret expires within this many days.",
        required=False,
        default="30",
    ),
    Setting(
        "POSTURE_ROTATION_DAYS",
        "A secret not updated for this long is stale.",
        required=False,
        default="90",
    ),
    # Telemetry (Entra-authenticated ingestion, no instrumentation key auth).
    Setting(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "Application Insights resource.",
        AZURE,
        required=False,
    ),
    Setting(
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "`ClientId=<identity>;Authorization=AAD`: telemetry sent with the identity.",
        AZURE,
        required=False,
    ),
    # The Functions host itself (not read by the app code).
    Setting(
        "FUNCTIONS_WORKER_RUNTIME",
        "`python`; set by functionAppConfig on Flex Consumption.",
        LOCAL,
        required=False,
    ),
)


def declared_settings() -> tuple[Setting, ...]:
    return DECLARED


def check_not_secret(name: str, value: str) -> None:
    """Refuse a secret-shaped value, naming the setting and the kind, never the value."""
    findings = [finding for finding in scan(value) if finding.kind not in INFO_KINDS]
    if findings:
        raise SettingsError(
            name,
            f"holds a value shaped like a secret ({findings[0].kind}); this app takes no "
            "secrets in settings: use an identity-based setting or a Key Vault secret",
        )


def _https_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingsError(name, "must be an https:// URL (bearer tokens and keys need TLS)")
    if parts.username or parts.password or parts.query:
        raise SettingsError(name, "must not carry credentials or a query string")
    return value


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(name, "must be a number of seconds") from None
    if number <= 0:
        raise SettingsError(name, "must be greater than zero")
    return number


def _header(name: str, value: str) -> str:
    if not value or not all(c.isalnum() or c == "-" for c in value):
        raise SettingsError(name, "must be an HTTP header name (letters, digits, '-')")
    return value


def _secret_name(name: str, value: str) -> str:
    if not 1 <= len(value) <= 127 or not all(c.isalnum() or c == "-" for c in value):
        raise SettingsError(name, "must be a Key Vault secret name (1-127 letters, digits, '-')")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """The app's typed settings; build with :func:`load_settings`."""

    jobs_queue_service_uri: str
    jobs_blob_service_uri: str
    key_vault_uri: str
    partner_api_url: str
    partner_api_key_secret_name: str
    partner_api_key_header: str
    partner_connect_timeout: float
    partner_read_timeout: float
    secret_cache_ttl: float
    posture_schedule: str


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every declared setting present in ``environ``."""
    env = os.environ if environ is None else environ
    for spec in DECLARED:  # every value once, read by the app or not
        if env.get(spec.name):
            check_not_secret(spec.name, env[spec.name])

    def raw(name: str) -> str:
        spec = _BY_NAME[name]
        value = env.get(name, "").strip() or spec.default
        if value is None:
            raise SettingsError(name, f"is not set ({spec.meaning})")
        return value

    def url(name: str) -> str:
        return _https_url(name, raw(name))

    def seconds(name: str) -> float:
        return _positive_float(name, raw(name))

    return Settings(
        jobs_queue_service_uri=url("JobsStorage__queueServiceUri"),
        jobs_blob_service_uri=url("JobsStorage__blobServiceUri"),
        key_vault_uri=url("KEY_VAULT_URI"),
        partner_api_url=url("PARTNER_API_URL"),
        partner_api_key_secret_name=_secret_name(
            "PARTNER_API_KEY_SECRET_NAME", raw("PARTNER_API_KEY_SECRET_NAME")
        ),
        partner_api_key_header=_header("PARTNER_API_KEY_HEADER", raw("PARTNER_API_KEY_HEADER")),
        partner_connect_timeout=seconds("PARTNER_CONNECT_TIMEOUT_SECONDS"),
        partner_read_timeout=seconds("PARTNER_READ_TIMEOUT_SECONDS"),
        secret_cache_ttl=seconds("SECRET_CACHE_TTL_SECONDS"),
        posture_schedule=raw("POSTURE_SCHEDULE"),
    )


_BY_NAME = {spec.name: spec for spec in DECLARED}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, validated once on first use."""
    return load_settings()
