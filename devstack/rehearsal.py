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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import SecretClient, SecretProperties

from devstack.errors import StackError
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


class RehearsalError(StackError):
    """The rehearsal cannot go on; the message says why and what to do, in one line."""


def latest(endpoints: Mapping[str, Any]) -> SecretProperties:
    """The current version's properties (no value) of the partner secret.

    Read from the list of versions (the devstack's vault lists them in creation order), not
    with ``get_secret``: watching a rotation must not add to the reads the app is measured by.
    """
    name = str(endpoints["partner_secret_name"])
    try:
        with vault_client(endpoints) as vault:
            versions = list(vault.list_properties_of_secret_versions(name))
    except ResourceNotFoundError:
        versions = []
    if not versions:
        raise RehearsalError(
            f"the vault has no secret {name!r}: restart the stack (it seeds the partner key) "
            "or set the secret, then run the rehearsal again"
        )
    return versions[-1]


def make_near_expiry(
    endpoints: Mapping[str, Any],
    *,
    days_left: float = 5,
    say: Callable[[str], None] | None = None,
) -> SecretProperties:
    """Bring the current version within ``days_left`` days of its expiry; return it as it was.

    A version with an expiry is moved back in time (the vault's ``backdate`` route). A version
    without one, such as the one docs/posture.md's KV-SECRET-NOEXPIRY exercise sets, has no
    expiry to move: it is given one ``days_left`` days away instead (Set Secret Attributes,
    what ``az keyvault secret set-attributes --expires`` does), which brings it into the
    near-expiry window all the same.
    """
    current = latest(endpoints)
    name = str(endpoints["partner_secret_name"])
    if current.expires_on is None:
        expires = datetime.now(UTC) + timedelta(days=days_left)
        with vault_client(endpoints) as vault:
            vault.update_secret_properties(name, current.version, expires_on=expires)
        if say is not None:
            say(
                f"version {current.version} had no expiry (set without one): gave it one "
                f"{days_left:g} days away, as `az keyvault secret set-attributes --expires` would"
            )
        return current
    remaining = (current.expires_on - datetime.now(UTC)).total_seconds() / 86400
    response = requests.post(
        f"{endpoints['vault']}devstack/secrets/{name}/backdate",
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
    before = make_near_expiry(endpoints, say=say)
    say(f"version {before.version} now expires within {NEAR_EXPIRY_DAYS} days")
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
