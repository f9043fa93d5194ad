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
5. ``RT-ENV-SECRETS``: any other secret-shaped value, and any value under a name that marks
   a secret (``…_KEY``, ``…_TOKEN``, ``…_PASSWORD``...:
   :func:`shared.settings.environment.secret_named`).

Facts hold findings (kind, span, fingerprint), never values; each fingerprint is the
run's keyed digest (:meth:`posture.context.CheckContext.fingerprint`), never the plain
hash a report reader could test a guess against. The vocabulary (which variables are
credentials, which the platform owns, what a keyed connection string is) is
:mod:`shared.settings.environment`'s, the same the app's start-up check refuses by.

A rule that judges the environment must first know it is looking at an app's settings:
an empty or foreign environment holds no secret, and "no secret found" would be a blind
pass. :func:`require_loaded` says which settings every Functions app has and this one
lacks (the host's storage connection, ``AzureWebJobsStorage`` in one of its forms).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from posture.errors import Unseen
from shared.redaction.shapes import Finding, SasInfo, classify_sas, scan
from shared.settings import declared_settings
from shared.settings.environment import (
    APPSETTING_PREFIX,
    CONTENT_SHARE_CONNECTION,
    FALLBACK_SETTINGS,
    HOST_STORAGE,
    KIND_BY_NAME,
    PLATFORM_MANAGED,
    connection_fields,
    keyed_by,
    secret_named,
)

Fingerprint = Callable[[str], str]

__all__ = [
    "APPSETTING_PREFIX",
    "CONTENT_SHARE_CONNECTION",
    "FALLBACK_SETTINGS",
    "HOST_STORAGE",
    "OWNER_FALLBACK",
    "OWNER_KEYED",
    "OWNER_PLATFORM",
    "OWNER_SAS",
    "OWNER_SECRETS",
    "PLATFORM_MANAGED",
    "SettingFacts",
    "analyze_environment",
    "connection_fields",
    "keyed_by",
    "loaded",
    "missing_settings",
    "require_loaded",
]

OWNER_FALLBACK: Final = "RT-CRED-FALLBACK"
OWNER_KEYED: Final = "RT-CONN-KEYED"
OWNER_SAS: Final = "RT-SAS-CLASSIFY"
OWNER_SECRETS: Final = "RT-ENV-SECRETS"
OWNER_PLATFORM: Final = "platform"

SOURCE_INLINE: Final = "inline"
SOURCE_KEY_VAULT_REFERENCE: Final = "key-vault-reference"
SOURCE_UNKNOWN: Final = "unknown"


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


def loaded(env: Mapping[str, str]) -> bool:
    """Whether ``env`` is a Functions app's: the host's storage connection is set."""
    return any(
        (value or "").strip() and (name == HOST_STORAGE or name.startswith(f"{HOST_STORAGE}__"))
        for name, value in env.items()
    )


def missing_settings(env: Mapping[str, str]) -> list[str]:
    """The app's required settings (``shared.settings``) that ``env`` does not set."""
    return sorted(
        s.name for s in declared_settings() if s.required and not (env.get(s.name) or "").strip()
    )


def require_loaded(env: Mapping[str, str]) -> None:
    """:class:`Unseen` unless ``env`` is an app's environment (the report's environment
    section lists the app's settings it lacks)."""
    if not loaded(env):
        raise Unseen(
            f"the app's environment is not loaded (no {HOST_STORAGE} setting): run inside the "
            "app, or load its settings first (python -m devstack env, or the deployed app's)"
        )


def _keyed(findings: list[Finding], value: str, fingerprint: Fingerprint) -> list[Finding]:
    return [f._replace(fingerprint=fingerprint(value[f.start : f.end])) for f in findings]


def analyze_environment(
    env: Mapping[str, str],
    *,
    fingerprint: Fingerprint,
    kv_references: frozenset[str] | None = None,
) -> dict[str, SettingFacts]:
    """Facts for every setting that holds a secret, a key, a SAS, or a credential switch.

    ``fingerprint`` digests each finding (the run's keyed digest); ``kv_references`` names
    the app settings known to be Key Vault references (from the control plane); None means
    unknown, so sources are labelled ``unknown``.
    """
    declared = {setting.name for setting in declared_settings()}
    facts: dict[str, SettingFacts] = {}
    for name in sorted(env):
        value = env[name]
        if not value or _mirror(env, name):
            continue
        secrets = _keyed([f for f in scan(value) if f.is_secret], value, fingerprint)
        if not secrets and secret_named(name):  # the start-up check's rule, by name
            secrets = [Finding(KIND_BY_NAME, 0, len(value), fingerprint(value))]
        sas = [
            info._replace(finding=_keyed([info.finding], value, fingerprint)[0])
            for info in classify_sas(value)
        ]
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
