"""Every variable the process sees, checked at start-up: no credential, no key, anywhere.

The settings the app declares are checked as they are parsed (:mod:`shared.settings`), but
a secret does not need to be declared to do harm: ``AZURE_CLIENT_SECRET`` next to
``AZURE_TENANT_ID`` and ``AZURE_CLIENT_ID`` silently turns ``DefaultAzureCredential``'s
first link (``EnvironmentCredential``) into a secret-based principal; a keyed
``AzureWebJobsStorage`` hands the host an account key; a key pasted into any variable is
one ``os.environ`` dump away from a log. In Azure every app setting is an environment
variable, and locally the devstack (and Core Tools) pass ``local.settings.json``'s values
the same way, so one scan of the environment covers all three.

Refused, naming the variable and the kind of problem, never the value:

* credential variables, by name and whatever their value (:data:`CREDENTIAL_VARIABLES`);
* the connection-string form of the app's Storage connections (:data:`CONNECTION_NAMES`):
  they must be identity-based (``<CONN>__blobServiceUri`` ...);
* any connection string carrying a key, a SAS or the emulator's well-known key;
* any value shaped like a secret (:mod:`shared.redaction.shapes`: Azure's shapes and GitHub's,
  Stripe's, Slack's, SendGrid's, AWS's, Google's, PEM private keys, JWTs);
* a URL with a password in it;
* any variable whose *name* says it holds a secret (it ends in ``KEY``, ``SECRET``, ``TOKEN``,
  ``PASSWORD`` or ``PWD``, in any case: ``PARTNER_API_KEY``, ``DB_PASSWORD``, ``apiToken``),
  whatever its value looks like, unless :mod:`shared.settings` declares it non-secret
  (:func:`~shared.settings.declared_not_secret`). A key of a shape nobody lists is still a
  key; its name is often the only sign of it.

Allowed, deliberately: the variables the platform itself injects whose values are secret
by design and outside the app's control (:data:`PLATFORM_MANAGED`). The Functions host and
App Service set them; refusing them would stop the app in Azure. Each is listed with the
source that names it.

The posture checker reads the same vocabulary (``posture/sources/env.py``), so the rule
that reports a variable and the check that refuses it agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from shared.redaction.shapes import scan
from shared.settings import declared_not_secret
from shared.settings.errors import UnsafeEnvironmentError

#: The variables that switch ``DefaultAzureCredential`` (``EnvironmentCredential``) to a
#: secret, a certificate or a password (azure-identity, EnvironmentCredential docs).
FALLBACK_SETTINGS: Final = (
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_PASSWORD",
    "AZURE_USERNAME",
)
#: Credential variables: the above, and the host's own client secret for keeping its keys in
#: Key Vault (azure-functions-host, EnvironmentSettingNames.AzureWebJobsSecretStorageKeyVault
#: ClientSecret).
CREDENTIAL_VARIABLES: Final = (
    *FALLBACK_SETTINGS,
    "AzureWebJobsSecretStorageKeyVaultClientSecret",
)
HOST_STORAGE: Final = "AzureWebJobsStorage"
JOBS_STORAGE: Final = "JobsStorage"
APPSETTING_PREFIX: Final = "APPSETTING_"
CONTENT_SHARE_CONNECTION: Final = "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
#: Connections that must be identity-based: a value under the bare name is a connection string.
CONNECTION_NAMES: Final = (HOST_STORAGE, JOBS_STORAGE, CONTENT_SHARE_CONNECTION)

#: Injected by the platform for its own use, secret by design, outside the app's control.
#: Sources: App Service managed identity ("IDENTITY_HEADER ... to help mitigate server-side
#: request forgery attacks", rotated by the platform; MSI_SECRET for the 2017-09-01 API) and
#: azure-functions-host's EnvironmentSettingNames (WEBSITE_AUTH_ENCRYPTION_KEY,
#: WEBSITE_AUTH_SIGNING_KEY for App Service Authentication; CONTAINER_ENCRYPTION_KEY,
#: CONTAINER_START_CONTEXT and CONTAINER_START_CONTEXT_SAS_URI for the Linux consumption
#: and Flex Consumption instance start).
PLATFORM_MANAGED: Final = frozenset(
    {
        "IDENTITY_HEADER",
        "MSI_SECRET",
        "WEBSITE_AUTH_ENCRYPTION_KEY",
        "WEBSITE_AUTH_SIGNING_KEY",
        "CONTAINER_ENCRYPTION_KEY",
        "CONTAINER_START_CONTEXT",
        "CONTAINER_START_CONTEXT_SAS_URI",
    }
)

KIND_CREDENTIAL_VARIABLE: Final = "credential variable"
KIND_CONNECTION_STRING: Final = "connection string"
KIND_KEYED_CONNECTION: Final = "connection string with a key"
KIND_URL_CREDENTIALS: Final = "credentials in a URL"
KIND_BY_NAME: Final = "a name that marks a secret"
#: The endings of a name that marks a secret, compared without regard to case.
SECRET_NAME_ENDINGS: Final = ("KEY", "SECRET", "TOKEN", "PASSWORD", "PWD")

_KEY_FIELDS: Final = ("AccountKey", "SharedAccessKey", "SharedAccessSignature")
# Fields that make a `a=b;c=d` value a connection string rather than any other list.
_CONNECTION_FIELDS: Final = frozenset(
    {
        *(field.lower() for field in _KEY_FIELDS),
        "endpoint",
        "defaultendpointsprotocol",
        "accountname",
        "blobendpoint",
        "queueendpoint",
        "tableendpoint",
        "fileendpoint",
        "sharedaccesskeyname",
        "usedevelopmentstorage",
        "entitypath",
        "accountendpoint",
    }
)
_FIXES: Final = {
    KIND_CREDENTIAL_VARIABLE: "remove it: the app authenticates with its managed identity "
    "(AZURE_CLIENT_ID), locally with the devstack's identity endpoint",
    KIND_CONNECTION_STRING: "replace it with identity-based settings "
    "(<name>__blobServiceUri, <name>__queueServiceUri, <name>__tableServiceUri)",
    KIND_KEYED_CONNECTION: "replace it with identity-based settings "
    "(<name>__serviceUri and friends) and rotate the key",
    KIND_URL_CREDENTIALS: "remove the credentials from the URL",
    KIND_BY_NAME: "move the secret to Key Vault (read with the managed identity) and rotate "
    "it; if the variable holds no secret, declare it in shared/settings.py",
}
_VAULT_FIX: Final = "move it to Key Vault (read with the managed identity) and rotate it"


class Problem(NamedTuple):
    """One refused variable: its name and the kind of problem; never its value."""

    variable: str
    kind: str

    @property
    def fix(self) -> str:
        return _FIXES.get(self.kind, _VAULT_FIX)

    def __str__(self) -> str:
        return f"environment variable {self.variable} refused ({self.kind}); {self.fix}"


def connection_fields(value: str) -> dict[str, str] | None:
    """``Key=Value;...`` parsed with lower-cased keys, or None if not a connection string."""
    fields: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, item = part.partition("=")
        if not sep or not key.strip():
            return None
        fields[key.strip().lower()] = item.strip()
    return fields if fields.keys() & _CONNECTION_FIELDS else None


def keyed_by(value: str) -> tuple[str, ...]:
    """The key-bearing fields of a connection string (empty when it has none)."""
    fields = connection_fields(value)
    if fields is None:
        return ()
    found = [field for field in _KEY_FIELDS if fields.get(field.lower())]
    if "sig=" in value and "SharedAccessSignature" not in found:
        found.append("sig")
    if fields.get("usedevelopmentstorage", "").lower() == "true":
        found.append("UseDevelopmentStorage")  # the emulator's well-known account key
    return tuple(found)


def _has_url_password(value: str) -> bool:
    if "://" not in value or "@" not in value:
        return False
    try:
        return bool(urlsplit(value.strip()).password)
    except ValueError:
        return False


def problem_of(name: str, value: str) -> Problem | None:
    """What is wrong with one variable, if anything (blank values are fine)."""
    if not value.strip() or name in PLATFORM_MANAGED:
        return None
    if name in CREDENTIAL_VARIABLES:
        return Problem(name, KIND_CREDENTIAL_VARIABLE)
    if keyed_by(value):
        return Problem(name, KIND_KEYED_CONNECTION)
    if name in CONNECTION_NAMES:
        return Problem(name, KIND_CONNECTION_STRING)
    findings = [finding for finding in scan(value) if finding.is_secret]
    if findings:
        return Problem(name, f"a value shaped like a secret: {findings[0].kind}")
    if _has_url_password(value):
        return Problem(name, KIND_URL_CREDENTIALS)
    if secret_named(name):
        return Problem(name, KIND_BY_NAME)
    return None


def secret_named(name: str) -> bool:
    """Whether ``name`` says its variable holds a secret (App Service's ``APPSETTING_`` copy of
    a setting is judged as the setting), and nothing declares it otherwise."""
    base = name.removeprefix(APPSETTING_PREFIX)
    if base in PLATFORM_MANAGED or base in CREDENTIAL_VARIABLES or declared_not_secret(base):
        return False
    return base.upper().endswith(SECRET_NAME_ENDINGS)


def unsafe_variables(env: Mapping[str, str]) -> list[Problem]:
    """Every refused variable of ``env``, by name."""
    found = (problem_of(name, env[name]) for name in sorted(env))
    return [problem for problem in found if problem is not None]


def check_environment(env: Mapping[str, str]) -> None:
    """Refuse to start with a credential, a key or a secret anywhere in ``env``.

    :raises UnsafeEnvironmentError: naming the first such variable (in name order) and
        the kind of problem, never the value.
    """
    problems = unsafe_variables(env)
    if problems:
        raise UnsafeEnvironmentError(problems[0])
