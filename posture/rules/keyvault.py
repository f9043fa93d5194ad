"""Key Vault data-plane rules: the secrets that remain are dated, fresh and usable.

All four read one listing of secret properties (:mod:`posture.sources.vault`).
A disabled secret is left out of the expiry and rotation rules: nothing can read it,
so its dates put nothing at risk; if the app needs it, KV-SECRET-DISABLED-IN-USE says so.
"""

from __future__ import annotations

from datetime import timedelta

from posture.context import CheckContext
from posture.model import Category, Evidence, RuleResult, Severity
from posture.rules.kinds import checked_rule
from posture.sources.env import loaded
from posture.sources.rotation import rotation_state
from posture.sources.vault import (
    SecretFacts,
    require_vault,
    secrets_in_use,
    vault_secrets,
)
from shared.settings import (
    KEY_VAULT_URI,
    POSTURE_ROTATION_DAYS,
    POSTURE_SECRET_EXPIRY_DAYS,
    POSTURE_SECRET_MAX_VALIDITY_DAYS,
)

LIST_PERMISSION = "Key Vault Reader at the vault: list secret properties (never a value)"
#: Every rule here reads the vault of KEY_VAULT_URI: without one, what it judges is unseen.
vault_rule = checked_rule(Category.KEY_VAULT, require_vault, usual=LIST_PERMISSION)


def _enabled(context: CheckContext) -> list[SecretFacts]:
    return [s for s in vault_secrets(context) if s.enabled]


def _names(found: list[Evidence]) -> str:
    shown = ", ".join(str(e["secret"]) for e in found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")


@vault_rule(
    "KV-SECRET-NOEXPIRY",
    title="Every enabled Key Vault secret has an expiration date",
    severity=Severity.HIGH,
    remediation=(
        "Set an expiration date on each secret (`az keyvault secret set-attributes --expires`) "
        "and rotate before it; an Azure Policy 'Key Vault secrets should have an expiration "
        "date' keeps new ones dated."
    ),
    reads=f"secret properties of the vault in {KEY_VAULT_URI.name} (expires_on, enabled)",
)
def secret_no_expiry(context: CheckContext) -> RuleResult:
    enabled = _enabled(context)
    found: list[Evidence] = [{"secret": s.name} for s in enabled if s.expires_on is None]
    if found:
        return RuleResult.failed(f"{len(found)} secret(s) never expire: {_names(found)}", found)
    return RuleResult.passed(f"all {len(enabled)} enabled secret(s) have an expiration date")


@vault_rule(
    "KV-SECRET-EXPIRING",
    title="No Key Vault secret is expired or about to expire",
    severity=Severity.MEDIUM,
    remediation=(
        "Rotate the secret: set a new version with a new expiration date, at the partner first "
        "if it is a third-party key. Subscribe to the vault's SecretNearExpiry event to be told "
        "earlier next time."
    ),
    reads=f"secret properties (expires_on); {POSTURE_SECRET_EXPIRY_DAYS.name} (default 30 days)",
)
def secret_expiring(context: CheckContext) -> RuleResult:
    window = POSTURE_SECRET_EXPIRY_DAYS.get(context.env)
    horizon = context.now + timedelta(days=window)
    found: list[Evidence] = []
    for secret in _enabled(context):
        if secret.expires_on is not None and secret.expires_on <= horizon:
            days_left = (secret.expires_on - context.now).total_seconds() / 86400
            found.append(
                {
                    "secret": secret.name,
                    "expires_on": secret.expires_on.isoformat(),
                    "days_left": round(days_left, 1),
                    "expired": days_left <= 0,
                }
            )
    rotation = rotation_evidence(context)  # docs/rotation.md: the rotation's own record
    if rotation is not None and rotation.get("last_failure_at"):
        found.append(rotation)
    if found:
        return RuleResult.failed(
            f"{len(found)} secret(s) expired, expiring within {window} days or failing to "
            f"rotate: {_names(found)}",
            found,
        )
    suffix = "" if rotation is None else f"; rotation next due {rotation.get('next_due')}"
    return RuleResult.passed(f"no secret expires within {window} days{suffix}")


def rotation_evidence(context: CheckContext) -> Evidence | None:
    """The rotation state as evidence: last rotation, next due, and a failure not yet
    followed by a successful rotation (reported as ``last_failure_at``)."""
    state = rotation_state(context)
    if state is None:
        return None
    return {
        "secret": state.secret,
        "rotation": "automatic",
        "last_rotation_at": state.last_rotation_at,
        "next_due": state.next_due,
        "last_failure_at": state.last_failure_at if state.failing else None,
        "last_failure": state.last_failure if state.failing else None,
    }


@vault_rule(
    "KV-SECRET-STALE",
    title="Key Vault secrets are rotated within the rotation window and not valid for too long",
    severity=Severity.MEDIUM,
    remediation=(
        "Rotate the secret (a new version, at the issuer first) and automate it: Key Vault "
        "rotation for keys, an Event Grid-triggered function for third-party secrets. Give each "
        "version an expiry no further than the maximum validity after its creation."
    ),
    reads=f"secret properties (updated_on, created_on, expires_on); {POSTURE_ROTATION_DAYS.name} "
    f"(default 90 days), {POSTURE_SECRET_MAX_VALIDITY_DAYS.name} (default 365 days)",
)
def secret_stale(context: CheckContext) -> RuleResult:
    window = POSTURE_ROTATION_DAYS.get(context.env)
    cutoff = context.now - timedelta(days=window)
    found: list[Evidence] = []
    for secret in _enabled(context):
        changed = secret.updated_on or secret.created_on
        if changed is not None and changed < cutoff:
            found.append(
                {
                    "secret": secret.name,
                    "updated_on": changed.isoformat(),
                    "age_days": round((context.now - changed).total_seconds() / 86400, 1),
                }
            )
        validity = _validity_days(secret)
        if validity is not None and validity > POSTURE_SECRET_MAX_VALIDITY_DAYS.get(context.env):
            found.append({"secret": secret.name, "validity_days": round(validity, 1)})
    if found:
        return RuleResult.failed(
            f"{len(found)} secret(s) not rotated within {window} days or valid too long: "
            f"{_names(found)}",
            found,
        )
    return RuleResult.passed(f"every secret was updated within {window} days")


def _validity_days(secret: SecretFacts) -> float | None:
    """How long the current version is valid: expiry minus creation (Azure Policy's validity)."""
    if secret.expires_on is None or secret.created_on is None:
        return None
    return (secret.expires_on - secret.created_on).total_seconds() / 86400


@vault_rule(
    "KV-SECRET-DISABLED-IN-USE",
    title="Every secret the app is configured to use exists and is enabled",
    severity=Severity.HIGH,
    remediation=(
        "Enable the secret or set a new version (`az keyvault secret set`), or point the "
        "`*_SECRET_NAME` setting at the secret that replaced it; the app fails every call that "
        "needs it until then."
    ),
    reads=f"settings ending in _SECRET_NAME; secret properties (enabled) of {KEY_VAULT_URI.name}",
)
def secret_disabled_in_use(context: CheckContext) -> RuleResult:
    used = secrets_in_use(context)
    if not used and loaded(context.env):
        return RuleResult.skipped("the app is configured to use no secret")
    if not used:
        return RuleResult.unknown(
            "the app's environment is not loaded: no *_SECRET_NAME setting names what it uses"
        )
    by_name = {s.name.lower(): s for s in vault_secrets(context)}
    found: list[Evidence] = []
    for setting, name in sorted(used.items()):
        secret = by_name.get(name.lower())
        state = "missing" if secret is None else None if secret.enabled else "disabled"
        if state:
            found.append({"setting": setting, "secret": name, "state": state})
    if found:
        listed = ", ".join(f"{e['secret']} ({e['state']})" for e in found)
        return RuleResult.failed(f"the app cannot read {listed}", found)
    return RuleResult.passed(f"{len(used)} secret(s) in use exist and are enabled")
