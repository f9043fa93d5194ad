"""Key Vault keys: each one expires and rotates by policy, read from the control plane.

The app keeps no key in its vault, but a vault in scope may hold keys that other
workloads sign or wrap with; a key that never expires and never rotates is the same
standing credential a secret would be. Keys are ARM resources, so Reader lists them with
their attributes and rotation policy and no key material (Keys - List, Microsoft.KeyVault
2023-07-01; azure-mgmt-keyvault Key: ``attributes.exp``, ``rotationPolicy.lifetimeActions``
with ``action.type`` rotate or notify).
"""

from __future__ import annotations

from typing import Any, Final

from posture.context import CheckContext
from posture.model import Severity
from posture.rules.judge import VAULTS
from posture.rules.kinds import resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource
from posture.sources.graph import parse_duration
from shared.settings import (
    POSTURE_ROTATION_DAYS,
    POSTURE_SECRET_EXPIRY_DAYS,
    POSTURE_SECRET_MAX_VALIDITY_DAYS,
)

KEYVAULT_API: Final = "2023-07-01"


def key_problems(key: dict[str, Any], context: CheckContext) -> list[str]:
    """Why one key is a standing credential (empty: it expires, rotates, and soon enough)."""
    props = key.get("properties") or {}
    attributes = props.get("attributes") or {}
    if attributes.get("enabled") is False:
        return []  # nothing can use it
    problems = []
    expires, created = attributes.get("exp"), attributes.get("created")
    if not expires:
        problems.append("no expiration date")
    else:
        days_left = (float(expires) - context.now.timestamp()) / 86400
        if days_left <= POSTURE_SECRET_EXPIRY_DAYS.get(context.env):
            problems.append(f"expires in {days_left:.0f} days")
        if created and (float(expires) - float(created)) / 86400 > _max_validity(context):
            problems.append(f"valid for {(float(expires) - float(created)) / 86400:.0f} days")
    rotations = [
        a
        for a in (props.get("rotationPolicy") or {}).get("lifetimeActions") or []
        if str((a.get("action") or {}).get("type")).lower() == "rotate"
    ]
    if not rotations:
        problems.append("no rotation policy that rotates it")
    window = POSTURE_ROTATION_DAYS.get(context.env)
    for action in rotations:
        after = parse_duration((action.get("trigger") or {}).get("timeAfterCreate"))
        if after is not None and after.days > window:
            problems.append(f"rotates only {after.days} days after creation (over {window})")
    return problems


def _max_validity(context: CheckContext) -> int:
    return POSTURE_SECRET_MAX_VALIDITY_DAYS.get(context.env)


@resource_rule(
    "KV-KEYS",
    title="Key Vault keys expire, are not about to, are not valid too long, rotate by policy",
    severity=Severity.MEDIUM,
    scope=VAULTS,
    remediation="Give each enabled key an expiration date no further than the maximum validity "
    "after its creation and a rotation policy with a Rotate lifetime action within the rotation "
    "window (az keyvault key rotation-policy update), so a new version is made before the old "
    "one expires.",
    reads="ARM: each vault's keys (attributes.enabled, created, exp; rotationPolicy); "
    "POSTURE_SECRET_EXPIRY_DAYS, POSTURE_SECRET_MAX_VALIDITY_DAYS, POSTURE_ROTATION_DAYS",
)
def vault_keys(context: CheckContext, vault: ArmResource) -> list[tuple[str, Any]]:
    keys = arm.arm_list(context, f"{vault.id}/keys", api_version=KEYVAULT_API)
    return [
        (f"keys/{k.get('name')}", problem) for k in keys for problem in key_problems(k, context)
    ]
