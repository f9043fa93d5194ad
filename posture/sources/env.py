"""The environment, read once per run: which setting holds what kind of secret, and whose it is.

One leaked key should show up once in a report, under the rule that says best what
to do about it. So every notable setting gets exactly one *owner*:

1. ``RT-CRED-FALLBACK``: the variables that switch ``DefaultAzureCredential`` to a
   secret (``AZURE_CLIENT_SECRET`` and friends), whatever their value;
2. ``RT-CONN-KEYED``: connection strings carrying a key or SAS, ``AzureWebJobsStorage``
   in its connection-string form, the content-share connection string;
3. ``platform``: variables App Service itself injects (``IDENTITY_HEADER``,
   ``MSI_SECRET``, ...): the app cannot remove them, so they are noted, not failed;
4. ``RT-SAS-CLASSIFY``: any other value holding a SAS;
5. ``RT-ENV-SECRETS``: any other secret-shaped value.

Facts hold findings (kind, span, fingerprint), never values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from shared.secretshapes import Finding, SasInfo, classify_sas, scan
from shared.settings import declared_settings

FALLBACK_SETTINGS: Final = (
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_PASSWORD",
    "AZURE_USERNAME",
)
HOST_STORAGE: Final = "AzureWebJobsStorage"
APPSETTING_PREFIX: Final = "APPSETTING_"
CONTENT_SHARE_CONNECTION: Final = "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
#: Injected by App Service for its own use; secret-shaped by design, outside the app's control.
PLATFORM_MANAGED: Final = frozenset(
    {
        "IDENTITY_HEADER",
        "MSI_SECRET",
        "WEBSITE_AUTH_ENCRYPTION_KEY",
        "WEBSITE_AUTH_SIGNING_KEY",
        "CONTAINER_ENCRYPTION_KEY",
        "CONTAINER_START_CONTEXT_SAS_URI",
    }
)

OWNER_FALLBACK: Final = "RT-CRED-FALLBACK"
OWNER_KEYED: Final = "RT-CONN-KEYED"
OWNER_SAS: Final = "RT-SAS-CLASSIFY"
OWNER_SECRETS: Final = "RT-ENV-SECRETS"
OWNER_PLATFORM: Final = "platform"

SOURCE_INLINE: Final = "inline"
SOURCE_KEY_VAULT_REFERENCE: Final = "key-vault-reference"
SOURCE_UNKNOWN: Final = "unknown"

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


@dataclass(frozen=True, slots=True)
class SettingFacts:
    """What one setting holds, as far as posture is concerned."""

    name: str
    declared: bool
    source: str  # inline, key-vault-reference or unknown (App Service resolves references)
    secrets: tuple[Finding, ...]
    sas: tuple[SasInfo, ...]
    keyed_by: tuple[str, ...]  # AccountKey, SharedAccessKey, ..., sig, UseDevelopmentStorage
    owner: str | None


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


def _owner(name: str, secrets: list[Finding], sas: list[SasInfo], keyed: tuple[str, ...]) -> str:
    if name in FALLBACK_SETTINGS:
        return OWNER_FALLBACK
    if keyed or name in (HOST_STORAGE, CONTENT_SHARE_CONNECTION):
        return OWNER_KEYED
    if name in PLATFORM_MANAGED:
        return OWNER_PLATFORM
    if sas:
        return OWNER_SAS
    return OWNER_SECRETS if secrets else ""


def _mirror(env: Mapping[str, str], name: str) -> bool:
    """App Service also exposes each app setting X as APPSETTING_X: one setting, one finding."""
    original = name.removeprefix(APPSETTING_PREFIX)
    return original != name and env.get(original) == env[name]


def analyze_environment(
    env: Mapping[str, str], *, kv_references: frozenset[str] | None = None
) -> dict[str, SettingFacts]:
    """Facts for every setting that holds a secret, a key, a SAS, or a credential switch.

    ``kv_references`` names the app settings known to be Key Vault references (from
    the control plane); None means unknown, so sources are labelled ``unknown``.
    """
    declared = {setting.name for setting in declared_settings()}
    facts: dict[str, SettingFacts] = {}
    for name in sorted(env):
        value = env[name]
        if not value or _mirror(env, name):
            continue
        secrets = [f for f in scan(value) if f.is_secret]
        sas = classify_sas(value)
        keyed = keyed_by(value)
        owner = _owner(name, secrets, sas, keyed)
        if not owner:
            continue
        if kv_references is None:
            source = SOURCE_UNKNOWN
        elif name in kv_references:
            source = SOURCE_KEY_VAULT_REFERENCE
        else:
            source = SOURCE_INLINE
        facts[name] = SettingFacts(
            name=name,
            declared=name in declared,
            source=source,
            secrets=tuple(secrets),
            sas=tuple(sas),
            keyed_by=keyed,
            owner=owner,
        )
    return facts
