"""What a caller and the log are told when Key Vault or the partner key is the problem.

On the running stack: a rotated key makes the app's cached key fail at the partner (401), so
the app reads the vault again, and the vault's fault plan decides what that read meets:
access denied (403) or no such secret (404). A key that cannot be used (too short, or with a
blank in it) is stored in the vault the same way. Each gets its own status and code, a
message without secret, host or URL, and one log line naming the code, the vault or partner
``host:port`` and the cause. TLS failures are proved with real handshakes in
tests/unit/shared/test_tls.py (the stack's CA cannot be swapped while it runs).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from azure.keyvault.secrets import SecretClient

from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential
from tests.support.footprint import Footprint
from tests.support.jobsapi import Api
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Api:
    return Api(stack)


@pytest.fixture
def vault(stack: RunningStack, api: Api) -> Iterator[Any]:
    """Store a partner key in the vault. Afterwards the session's stack is as it was for the
    tests that follow: no vault fault, a valid key in the vault, and the app holding it (the
    key the test replaced is revoked at the partner, which adopts a key set by hand)."""
    name = stack.endpoints["partner_secret_name"]

    def store(value: str) -> None:
        with stack.as_app():
            SecretClient(stack.endpoints["vault"], IssuerCredential(stack.issuer())).set_secret(
                name, value
            )

    yield store
    requests.delete(stack.control("faults/vault"), timeout=10).raise_for_status()
    store(secrets.token_urlsafe(32))
    restored = api.submit({"text": "the app reads the restored key"})
    assert restored.status_code == 202, restored.text


def vault_endpoint(stack: RunningStack) -> str:
    parts = urlsplit(stack.endpoints["vault"])
    return f"{parts.hostname}:{parts.port}"


def logged(stack: RunningStack, code: str) -> str:
    def line() -> str | None:
        found = [x for x in stack.log_text().splitlines() if f"submit_job: {code}: " in x]
        return found[-1] if found else None

    found: str = eventually(line, timeout=30)
    return found


def refused(api: Api, stack: RunningStack, status: int, code: str) -> dict[str, Any]:
    before = Footprint.of(stack)
    response = api.submit({"text": "the vault decides"})
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert "127.0.0.1" not in error["message"]
    assert "https://" not in error["message"]
    assert Footprint.of(stack).job_blobs == before.job_blobs
    return error


@pytest.mark.parametrize(
    ("vault_status", "code", "exception", "cause"),
    [
        (403, "vault_access_denied", "VaultAccessDeniedError", "denied (HTTP 403"),
        (404, "vault_secret_missing", "SecretNotFoundError", "not found"),
    ],
)
def test_the_vaults_answer_is_told_apart_from_the_partners(
    api: Api,
    stack: RunningStack,
    vault: Any,
    vault_status: int,
    code: str,
    exception: str,
    cause: str,
) -> None:
    assert api.submit({"text": "warm the key cache"}).status_code == 202
    vault(secrets.token_urlsafe(32))  # rotated: the cached key now gets a 401
    requests.put(
        stack.control("faults/vault"), json={"mode": "status", "status": vault_status}, timeout=10
    ).raise_for_status()
    error = refused(api, stack, 500, code)
    assert "partner" in error["message"]
    assert "Key Vault" in error["message"]
    line = logged(stack, code)
    assert f"{exception} at {vault_endpoint(stack)}:" in line
    assert cause in line


@pytest.mark.parametrize(
    ("case", "value"),
    [
        ("seven characters", lambda: secrets.token_urlsafe(5)[:7]),
        ("fifteen characters", lambda: secrets.token_urlsafe(12)[:15]),
        ("a space inside", lambda: secrets.token_urlsafe(12) + " " + secrets.token_urlsafe(12)),
        ("a trailing newline", lambda: secrets.token_urlsafe(24) + "\n"),
    ],
)
def test_an_unusable_key_is_a_configuration_error_and_is_forgotten(
    api: Api, stack: RunningStack, vault: Any, case: str, value: Any
) -> None:
    assert api.submit({"text": "warm the key cache"}).status_code == 202
    vault(value())
    calls = stack.stats("partner")["calls"]
    refused(api, stack, 500, "partner_key_invalid")
    assert stack.stats("partner")["calls"] == calls + 1  # the old key's 401; the bad one unsent
    partner = urlsplit(stack.app_env["PARTNER_API_URL"])
    line = logged(stack, "partner_key_invalid")
    assert f"PartnerKeyError at {partner.hostname}:{partner.port}:" in line
    # Fixed in the vault: the next job uses the new key at once (the bad one was not kept
    # for the cache's lifetime).
    vault(secrets.token_urlsafe(32))
    reads = stack.stats("vault")["get_secret"]
    assert api.submit({"text": "the key is fixed"}).status_code == 202
    assert stack.stats("vault")["get_secret"] > reads
