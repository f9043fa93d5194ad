"""Named sets of rules a run must include, so a gate cannot pass by running fewer rules.

``secretless-core`` is the proof the product exists for: no secret in the app's settings,
telemetry or history, every connection identity-based and working, every service refusing
keys, the API behind Entra, identities without key-listing power. ``hardening`` is the
rest: transport, network, recovery, rotation hygiene, Defender, tenant governance. ``all``
is both. A run names a baseline with ``--baseline`` (repeatable); its rules are run
whatever ``--rule`` says, and a rule of it the run does not judge fails the gate like any
other (``unknown``, ``error``), unless waived.
"""

from __future__ import annotations

from typing import Final

from posture.errors import RuleRegistryError

SECRETLESS_CORE: Final = frozenset(
    {
        "RT-ENV-SECRETS",
        "RT-CRED-FALLBACK",
        "RT-CRED-PINNED",
        "RT-CONN-KEYED",
        "RT-SAS-CLASSIFY",
        "RT-AI-AUTH",
        "RT-CONN-TOKEN",
        "RT-TOKEN-IDENTITY",
        "RT-AUTH-PROBE",
        "KV-SECRET-NOEXPIRY",
        "KV-SECRET-EXPIRING",
        "KV-SECRET-DISABLED-IN-USE",
        "STG-SHAREDKEY",
        "KV-RBAC",
        "APP-IDENTITY",
        "APP-BASICAUTH",
        "APP-DEPLOY-STORAGE",
        "APP-AUTH",
        "APP-FUNC-AUTH",
        "AI-LOCALAUTH",
        "LOG-LOCALAUTH",
        "DATA-LOCALAUTH",
        "EG-LOCALAUTH",
        "EG-DELIVERY",
        "MI-LEAST-PRIVILEGE",
        "MI-FIC",
        "DEPLOY-SECRETS",
        "LOG-SECRETS",
        "ENT-APP-SECRETS",
        # PARTNER_AUTH=entra: the partner's registration holds no secret and trusts the app's
        # identity alone, and no partner key lingers (skipped while the partner takes the key)
        "ENT-PARTNER-CRED",
        "ENT-PARTNER-FIC",
        "KV-NO-PARTNER-KEY",
    }
)


def baselines() -> dict[str, frozenset[str]]:
    """Every baseline by name; ``hardening`` is whatever the core leaves out."""
    from posture.model import all_rules

    every = frozenset(r.id for r in all_rules())
    return {
        "secretless-core": SECRETLESS_CORE,
        "hardening": every - SECRETLESS_CORE,
        "all": every,
    }


def baseline(name: str) -> frozenset[str]:
    found = baselines().get(name)
    if found is None:
        raise RuleRegistryError(f"no baseline {name} (known: {', '.join(sorted(baselines()))})")
    return found
