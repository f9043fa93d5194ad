"""``python -m devstack rotate-rehearsal``: watch the partner key rotate itself while jobs flow.

On the running stack: move the partner secret's current version back in time so its expiry
falls inside Key Vault's near-expiry window (the vault's ``backdate`` route with
``expiry=true``), let the vault deliver ``SecretNearExpiry`` into ``key-events`` as Event
Grid would, and wait for the rotation app's function to store a new version, while
submitting jobs to the API the whole time. Prints each step; exits non-zero when the
rotation does not happen or a job is refused. Tests and benchmarks use the same helpers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from azure.keyvault.secrets import SecretClient, SecretProperties

from devstack.tokens import IssuerCredential, TokenIssuer

NEAR_EXPIRY_DAYS = 30


def vault_client(endpoints: Mapping[str, Any]) -> SecretClient:
    """The stack's vault, read as an operator would (the devstack's issuer mints the token)."""
    issuer = TokenIssuer.load_or_create(Path(str(endpoints["signing_key"])))
    return SecretClient(
        str(endpoints["vault"]),
        IssuerCredential(issuer),
        connection_verify=str(endpoints["ca_bundle"]),
    )


def latest(endpoints: Mapping[str, Any]) -> SecretProperties:
    """The current version's properties (no value) of the partner secret.

    Read from the list of versions (the devstack's vault lists them in creation order), not
    with ``get_secret``: watching a rotation must not add to the reads the app is measured by.
    """
    with vault_client(endpoints) as vault:
        name = str(endpoints["partner_secret_name"])
        versions = list(vault.list_properties_of_secret_versions(name))
    if not versions:
        raise RuntimeError(f"the vault has no secret {name!r}")
    return versions[-1]


def make_near_expiry(endpoints: Mapping[str, Any], *, days_left: float = 5) -> SecretProperties:
    """Backdate the current version so it expires in ``days_left`` days; return it as it was."""
    current = latest(endpoints)
    if current.expires_on is None:
        raise RuntimeError("the partner secret has no expiry: nothing to backdate")
    remaining = (current.expires_on - datetime.now(UTC)).total_seconds() / 86400
    response = requests.post(
        f"{endpoints['vault']}devstack/secrets/{endpoints['partner_secret_name']}/backdate",
        params={"days": f"{max(0.0, remaining - days_left):.4f}", "expiry": "true"},
        verify=str(endpoints["ca_bundle"]),
        timeout=10,
    )
    response.raise_for_status()
    return current


def wait_for_rotation(
    endpoints: Mapping[str, Any], previous: str, *, timeout: float = 60.0
) -> SecretProperties:
    """The first version after ``previous``; TimeoutError when none comes in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = latest(endpoints)
        if current.version != previous:
            return current
        time.sleep(0.5)
    raise TimeoutError(f"no new version of the partner secret within {timeout:g} s")


def rehearse(
    endpoints: Mapping[str, Any],
    *,
    token: str,
    timeout: float = 120.0,
    say: Callable[[str], None] = print,
) -> int:
    """Run the rehearsal; 0 when a rotation happened and every job was accepted."""
    before = make_near_expiry(endpoints)
    say(f"version {before.version} now expires within {NEAR_EXPIRY_DAYS} days (backdated)")
    say("waiting for SecretNearExpiry -> key-events -> rotate_on_event, submitting jobs ...")
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted, refused, deadline = 0, 0, time.monotonic() + timeout
    rotated: SecretProperties | None = None
    while time.monotonic() < deadline and rotated is None:
        response = session.post(
            f"{endpoints['api']}/jobs",
            json={"text": f"rehearsal job {accepted + refused}"},
            headers=headers,
            timeout=60,
        )
        accepted, refused = (
            accepted + (response.status_code == 202),
            refused + (response.status_code != 202),
        )
        current = latest(endpoints)
        if current.version != before.version:
            rotated = current
        time.sleep(0.2)
    if rotated is None:
        say(f"no rotation within {timeout:g} s: see .devstack/logs (host.log)")
        return 1
    tags = rotated.tags or {}
    say(
        f"rotated: version {rotated.version} (partner key {tags.get('partner-key-id')}, "
        f"expires {rotated.expires_on:%Y-%m-%d}); the old key stays valid for the grace"
    )
    say(f"jobs while rotating: {accepted} accepted, {refused} refused")
    return 0 if refused == 0 else 1
