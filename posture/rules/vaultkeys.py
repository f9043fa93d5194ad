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
from posture.model import Category, RuleResult, Severity, rule
from posture.rules.judge import READER, Scope, judge
from posture.sources import arm
from posture.sources.arm import ArmResource

KEYVAULT_API: Final = "2023-07-01"


def key_problems(key: dict[str, Any]) -> list[str]:
    """Why one key is a standing credential (empty: it expires and rotates)."""
    props = key.get("properties") or {}
    attributes = props.get("attributes") or {}
    if attributes.get("enabled") is False:
        return []  # nothing can use it
    problems = []
    if not attributes.get("exp"):
        problems.append("no expiration date")
    actions = (props.get("rotationPolicy") or {}).get("lifetimeActions") or []
    if not any(str((a.get("action") or {}).get("type")).lower() == "rotate" for a in actions):
        problems.append("no rotation policy that rotates it")
    return problems


@rule(
    "KV-KEYS",
    title="Key Vault keys expire and rotate by policy",
    severity=Severity.MEDIUM,
    category=Category.CONTROL_PLANE,
    remediation="Give each enabled key an expiration date and a rotation policy with a Rotate "
    "lifetime action (az keyvault key rotation-policy update), so a new version is made before "
    "the old one expires.",
    reads="ARM: each vault's keys (attributes.enabled, attributes.exp, rotationPolicy)",
    permission=READER,
)
def vault_keys(context: CheckContext) -> RuleResult:
    def check(vault: ArmResource) -> list[tuple[str, Any]]:
        keys = arm.arm_list(context, f"{vault.id}/keys", api_version=KEYVAULT_API)
        return [(f"keys/{k.get('name')}", problem) for k in keys for problem in key_problems(k)]

    return judge(context, Scope((arm.KEY_VAULT,), "vault(s)"), check)
