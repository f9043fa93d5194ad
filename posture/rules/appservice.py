"""App Service rules on what stands in front of the functions: authentication and auth levels.

Every function of this app is anonymous at function level (a function key is a shared
secret), so App Service Authentication is the API's only gate: APP-AUTH reads its
configuration from the control plane, RT-AUTH-PROBE proves from inside that the
platform refuses a caller without a token. Both judge each app and deployment slot.

Sources: Web Apps REST API, "Get Auth Settings V2 Without Secrets" (GET
``config/authsettingsV2``; the ``/list`` action returns secrets and is never called)
and "List Functions" (GET ``functions``, each ``properties.config.bindings``); azure-mgmt-web
models SiteAuthSettingsV2, GlobalValidation, AzureActiveDirectoryRegistration.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from posture.context import CheckContext
from posture.errors import Unseen
from posture.model import Category, Evidence, RuleResult, Severity, rule
from posture.rules.judge import ALL_APPS, READER, judge
from posture.rules.kinds import resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource
from shared.callers import REFUSED_BY_APP, REFUSED_BY_HEADER
from shared.settings import (
    POSTURE_ARM_ENDPOINT,
    POSTURE_AUTH_EXCLUDED_PATHS,
    POSTURE_AUTH_PROBE_URL,
)

REFUSING_ACTIONS: Final = frozenset({"Return401", "Return403"})
KEY_LEVELS: Final = frozenset({"function", "admin", "system"})
#: An HTTP trigger without authLevel takes the default: function (a function key). The
#: Python library's HttpTrigger and FunctionApp default to AuthLevel.FUNCTION, and the
#: function.json reference gives ``function`` as authLevel's default.
DEFAULT_AUTH_LEVEL: Final = "function"


def _find(tree: Any, suffix: str, path: str = "") -> list[tuple[str, Any]]:
    """Every (dotted path, value) under ``tree`` whose key ends with ``suffix``."""
    found: list[tuple[str, Any]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            here = f"{path}.{key}" if path else str(key)
            if str(key).endswith(suffix) and value:
                found.append((here, value))
            found += _find(value, suffix, here)
    return found


def _issuer_tenant(issuer: str) -> str | None:
    """The tenant in an Entra issuer (login.microsoftonline.com/<t>/v2.0, sts.windows.net/<t>/)."""
    parts = [p for p in urlsplit(issuer).path.split("/") if p]
    return parts[0].lower() if parts else None


def auth_problems(
    settings: dict[str, Any], *, allowed_paths: list[str], tenant: str | None
) -> list[tuple[str, Any]]:
    """What keeps an authsettingsV2 document from being the API's gate (property, value)."""
    found: list[tuple[str, Any]] = []
    platform = settings.get("platform") or {}
    validation = settings.get("globalValidation") or {}
    entra = (settings.get("identityProviders") or {}).get("azureActiveDirectory") or {}
    registration = entra.get("registration") or {}
    if platform.get("enabled") is not True:
        found.append(("platform.enabled", platform.get("enabled")))
    if validation.get("requireAuthentication") is not True:
        found.append(
            ("globalValidation.requireAuthentication", validation.get("requireAuthentication"))
        )
    action = validation.get("unauthenticatedClientAction")
    if action not in REFUSING_ACTIONS:
        found.append(("globalValidation.unauthenticatedClientAction", action))
    extra = sorted(set(validation.get("excludedPaths") or []) - set(allowed_paths))
    if extra:
        found.append(("globalValidation.excludedPaths", ", ".join(extra)))
    others = [
        name
        for name, provider in (settings.get("identityProviders") or {}).items()
        if name != "azureActiveDirectory"
        and isinstance(provider, dict)
        and provider
        and provider.get("enabled") is not False
    ]
    found += [(f"identityProviders.{name}.enabled", True) for name in sorted(others)]
    # "enabled: false if the provider should not be enabled despite the set registration;
    # otherwise, true" (azure-mgmt-web AzureActiveDirectory): unset with a registration is on.
    if entra and entra.get("enabled") is not False:
        issuer = str(registration.get("openIdIssuer") or "")
        if not issuer or (tenant and _issuer_tenant(issuer) != tenant.lower()):
            found.append(("azureActiveDirectory.registration.openIdIssuer", issuer or None))
        if not (entra.get("validation") or {}).get("allowedAudiences"):
            found.append(("azureActiveDirectory.validation.allowedAudiences", None))
    # No provider at all: authentication is required and nothing can satisfy it, so every
    # request is refused (an app that serves no HTTP function, such as the rotation app).
    # A *SecretSettingName names an app setting that holds a client secret; a
    # sasUrlSettingName one that holds a SAS URL. Only the setting's name is reported.
    for suffix in ("SecretSettingName", "sasUrlSettingName"):
        found += [(where, str(name)) for where, name in _find(settings, suffix)]
    return found


@resource_rule(
    "APP-AUTH",
    title="App Service Authentication guards every app: required, refusing, this tenant, no secret",
    severity=Severity.CRITICAL,
    scope=ALL_APPS,
    remediation="In authsettingsV2 set platform.enabled=true, globalValidation."
    "requireAuthentication=true with unauthenticatedClientAction Return401 (or Return403), "
    "excludedPaths only from POSTURE_AUTH_EXCLUDED_PATHS, the Microsoft provider enabled with "
    "this tenant's openIdIssuer and allowedAudiences set, and no clientSecretSettingName "
    "(validating bearer tokens needs no secret).",
    reads="ARM: sites/<app> and slots' config/authsettingsV2 (the variant without secrets); "
    "POSTURE_AUTH_EXCLUDED_PATHS; the tenant id of the app's Graph or ARM token",
)
def app_auth(context: CheckContext, r: ArmResource) -> list[tuple[str, Any]]:
    body = arm.arm_get(context, f"{r.id}/config/authsettingsV2")
    return auth_problems(
        body.get("properties") or {},
        allowed_paths=context.value(POSTURE_AUTH_EXCLUDED_PATHS) or [],
        tenant=_tenant(context),
    )


def _tenant(context: CheckContext) -> str | None:
    """This tenant: the ``tid`` of the ARM token the checker already uses."""

    def build() -> str | None:
        from posture.sources.probes import token_claims

        scope = f"{POSTURE_ARM_ENDPOINT.get(context.env)}/.default"
        return token_claims(context.credential.get_token(scope).token).get("tid")

    return context.memo("arm-tenant", build)


@rule(
    "APP-FUNC-AUTH",
    title="No function needs a host key: every HTTP function is anonymous behind APP-AUTH",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Set auth_level=ANONYMOUS on the HTTP function and let App Service "
    "Authentication (APP-AUTH) and the app's role checks admit callers; a function or admin "
    "key is a shared secret every caller must hold.",
    reads="ARM: sites/<app> and slots' functions (properties.config.bindings authLevel); "
    "never the keys",
    permission=READER,
)
def function_auth_levels(context: CheckContext) -> RuleResult:
    unlisted: list[str] = []

    def check(r: ArmResource) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        functions = arm.arm_list(context, f"{r.id}/functions", api_version=arm.WEB_API_VERSION)
        if not functions:
            unlisted.append(r.name)
        for function in functions:
            name = str(function.get("name") or "").rsplit("/", 1)[-1]
            config = (function.get("properties") or {}).get("config") or {}
            for binding in config.get("bindings") or [] if isinstance(config, dict) else []:
                if str(binding.get("type")).lower() != "httptrigger":
                    continue
                level = str(binding.get("authLevel") or DEFAULT_AUTH_LEVEL).lower()
                if level in KEY_LEVELS:
                    found.append((f"functions/{name}.authLevel", level))
        return found

    result = judge(context, ALL_APPS, check)
    if result.status.value == "pass" and unlisted:
        raise Unseen(
            f"ARM listed no function of {', '.join(sorted(unlisted))}: the host has not synced "
            "its triggers (or the app is stopped), so its auth levels cannot be seen"
        )
    return result


def probe_url(context: CheckContext) -> str | None:
    """The protected route to call: the setting, else /api/posture on the app's own host name."""
    url = context.value(POSTURE_AUTH_PROBE_URL)
    host = context.setting("WEBSITE_HOSTNAME")
    return url or (f"https://{host}/api/posture" if host else None)


@rule(
    "RT-AUTH-PROBE",
    title="The platform refuses an unauthenticated call to the app's own protected route",
    severity=Severity.CRITICAL,
    category=Category.RUNTIME,
    remediation="Turn App Service Authentication on for the app with requireAuthentication=true "
    "and unauthenticatedClientAction=Return401 (APP-AUTH); until then every anonymous function "
    "answers anyone who calls it.",
    reads="one GET without credentials to POSTURE_AUTH_PROBE_URL (default "
    "https://<WEBSITE_HOSTNAME>/api/posture), redirects not followed",
    permission="none (an anonymous request to the app itself)",
    budget=30.0,
)
def auth_probe(context: CheckContext) -> RuleResult:
    import requests

    url = probe_url(context)
    if url is None:
        return RuleResult.unknown(
            f"no address to probe ({POSTURE_AUTH_PROBE_URL.name} and WEBSITE_HOSTNAME are "
            "unset): set it to a protected route of the deployed app"
        )
    try:
        response = requests.get(
            url,
            timeout=context.network_timeout,
            allow_redirects=False,
            verify=context.client_options.get("connection_verify", True),
        )
    except requests.RequestException as exc:
        return RuleResult.error(f"the app did not answer ({type(exc).__name__})")
    status = response.status_code
    challenge = response.headers.get("WWW-Authenticate", "").lower().startswith("bearer")
    by_app = response.headers.get(REFUSED_BY_HEADER, "").strip().lower() == REFUSED_BY_APP
    evidence: list[Evidence] = [
        {
            "url": url.split("?", 1)[0],
            "http_status": status,
            "bearer_challenge": challenge,
            "refused_by_app": by_app,
        }
    ]
    if status in (401, 403) and not by_app:
        return RuleResult.passed(f"refused with HTTP {status} before the function ran", evidence)
    if status >= 500:
        return RuleResult.error(f"the app answered HTTP {status}", evidence)
    if status in (401, 403):
        return RuleResult.failed(
            f"the function ran and refused the call itself (HTTP {status}, {REFUSED_BY_HEADER}: "
            f"{REFUSED_BY_APP}): the platform lets unauthenticated calls through",
            evidence,
        )
    return RuleResult.failed(f"an unauthenticated call got HTTP {status}", evidence)
