"""``rotate-rehearsal``'s first step on a vault whose partner secret has no expiry.

docs/posture.md's KV-SECRET-NOEXPIRY exercise adds a version without an expiry; the
rehearsal then had nothing to backdate and stopped with an 18-line traceback. It now gives
the version an expiry inside the near-expiry window, as Set Secret Attributes does
(learn.microsoft.com/rest/api/keyvault/secrets/update-secret: ``attributes.exp``; the
``az keyvault secret set-attributes --expires`` command), and goes on. The vault is the
devstack's own over HTTPS; the client is the real ``SecretClient``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.keyvault.secrets import SecretClient

from devstack import rehearsal
from devstack.__main__ import main
from devstack.tokens import IssuerCredential, TokenIssuer
from devstack.vault.api import create_vault_app
from devstack.vault.store import VaultStore
from tests.support.servers import Switch, serve

NAME = "partner-api-key"


@pytest.fixture
def endpoints(tmp_path: Path) -> Iterator[dict[str, Any]]:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    leaf = ca.issue_cert("127.0.0.1")
    leaf.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    key = tmp_path / "signing-key.pem"
    issuer = TokenIssuer.load_or_create(key)
    switch = Switch()
    with serve(switch, certfile=tmp_path / "server.pem") as (origin, _):
        switch.app = create_vault_app(store=VaultStore(None), issuer=issuer, origin=origin)
        yield {
            "vault": origin + "/",
            "signing_key": str(key),
            "ca_bundle": str(tmp_path / "ca.pem"),
            "partner_secret_name": NAME,
        }


def client(endpoints: dict[str, Any]) -> SecretClient:
    issuer = TokenIssuer.load_or_create(Path(endpoints["signing_key"]))
    return SecretClient(
        endpoints["vault"], IssuerCredential(issuer), connection_verify=endpoints["ca_bundle"]
    )


@pytest.mark.slow
def test_a_version_without_an_expiry_is_given_one_in_the_window(
    endpoints: dict[str, Any],
) -> None:
    with client(endpoints) as vault:
        version = vault.set_secret(NAME, secrets.token_urlsafe(24)).properties.version
    said: list[str] = []
    before = rehearsal.make_near_expiry(endpoints, days_left=5, say=said.append)
    assert before.version == version
    now = rehearsal.latest(endpoints)
    assert now.version == version  # the same version, now with an expiry
    assert now.expires_on is not None
    left = now.expires_on - datetime.now(UTC)
    assert timedelta(days=4) < left <= timedelta(days=5)
    assert said == [
        f"version {version} had no expiry (set without one): gave it one 5 days away, as "
        "`az keyvault secret set-attributes --expires` would"
    ]


@pytest.mark.slow
def test_a_version_with_an_expiry_is_moved_back_into_the_window(
    endpoints: dict[str, Any],
) -> None:
    with client(endpoints) as vault:
        vault.set_secret(
            NAME, secrets.token_urlsafe(24), expires_on=datetime.now(UTC) + timedelta(days=90)
        )
    rehearsal.make_near_expiry(endpoints, days_left=5)
    expires = rehearsal.latest(endpoints).expires_on
    assert expires is not None
    assert timedelta(days=4) < expires - datetime.now(UTC) <= timedelta(days=5)


def test_no_secret_at_all_is_one_line_from_the_command(
    endpoints: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command itself: no traceback, one line naming the problem and the fix."""
    import json
    import os

    state = tmp_path / "state"
    (state / "identity").mkdir(parents=True)
    os.link(endpoints["signing_key"], state / "identity" / "signing-key.pem")
    document = {**endpoints, "api": "http://127.0.0.1:9/api", "audience": "api://x"}
    (state / "endpoints.json").write_text(json.dumps(document))
    from devstack.statelock import StateLock

    lock = StateLock.acquire(state)  # the stack holding the directory
    try:
        code = main(["--state-dir", str(state), "rotate-rehearsal", "--timeout", "1"])
    finally:
        lock.release()
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        f"rotate-rehearsal: the vault has no secret '{NAME}': restart the stack (it seeds the "
        "partner key) or set the secret, then run the rehearsal again"
    ]
