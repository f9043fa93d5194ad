"""The post-deploy smoke check passes on the devstack and fails on an app that would be unsafe.

The devstack host emulates App Service Authentication (devstack/runner.py): it
answers 401 itself without a valid token and drops caller-supplied X-MS-CLIENT-PRINCIPAL*
headers, as the platform does ("the platform removes the X-MS-* headers it injects from
incoming requests": https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities).
So the smoke check must pass there, and must fail against small local servers that get one
of the four answers wrong (a forged principal trusted, an open protected route, a token
refused, health down). The smoke's own output is searched for the token (the leak canary's
encodings): it must never print it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.runner import RunningStack
from smoke.checks import SmokeError, base_url
from tests.infra.conftest import ROOT
from tests.support.canary import leaks


def run_smoke(url: str, token: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SMOKE_TOKEN"}
    if token:
        env["SMOKE_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "smoke", "--url", url, *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.integration
def test_smoke_passes_against_the_devstack(stack: RunningStack) -> None:
    token = stack.caller_token("Posture.Read")
    proc = run_smoke(stack.api, token, "--ca-bundle", stack.ca_bundle)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ok  ") == 4, proc.stdout
    assert "4 passed, 0 failed" in proc.stdout
    assert not leaks([token], {"smoke stdout": proc.stdout, "smoke stderr": proc.stderr})


@pytest.mark.integration
def test_smoke_fails_when_the_token_lacks_the_role(stack: RunningStack) -> None:
    # A valid token without Posture.Read is refused by the app (403): not a pass.
    proc = run_smoke(stack.api, stack.caller_token(), "--ca-bundle", stack.ca_bundle)
    assert proc.returncode == 1, proc.stdout
    assert "FAIL protected route with a real token: expected 2xx, got 403" in proc.stdout


class WrongApp(BaseHTTPRequestHandler):
    """An app that gets the answers wrong in the way `mistake` says."""

    mistake = ""

    def do_GET(self) -> None:
        if self.path == "/api/health":
            status = 503 if self.mistake == "health down" else 200
        elif self.mistake == "open" or (
            self.mistake == "trusts forged principal" and self.headers.get("X-MS-CLIENT-PRINCIPAL")
        ):
            status = 200
        elif self.headers.get("Authorization", "").startswith("Bearer "):
            status = 401 if self.mistake == "refuses tokens" else 200
        else:
            status = 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def wrong_app(mistake: str) -> Iterator[str]:
    handler = type("Handler", (WrongApp,), {"mistake": mistake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("mistake", "failing", "count"),
    [
        ("", None, 0),
        ("trusts forged principal", "forged X-MS-CLIENT-PRINCIPAL and no token: expected 401", 1),
        # An open route answers 200 with or without the forged header: two failures.
        ("open", "protected route without a token: expected 401, got 200", 2),
        ("refuses tokens", "protected route with a real token: expected 2xx, got 401", 1),
        ("health down", "health without a token: expected 200, got 503", 1),
    ],
)
@pytest.mark.slow
def test_smoke_fails_against_a_wrong_app(mistake: str, failing: str | None, count: int) -> None:
    with wrong_app(mistake) as url:
        proc = run_smoke(url, "not-a-real-token")
    if failing is None:  # the server that gets everything right: proves the harness
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return
    assert proc.returncode == 1, proc.stdout
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == count, proc.stdout
    assert any(failing in line for line in failed), proc.stdout


def test_smoke_refuses_to_run_without_a_token_or_over_plain_http() -> None:
    proc = run_smoke("https://example.invalid", "")
    assert proc.returncode == 2
    assert "SMOKE_TOKEN is not set" in proc.stderr
    assert "az account get-access-token" in proc.stderr
    with pytest.raises(SmokeError):
        base_url("http://func-x.azurewebsites.net")
    assert base_url("https://func-x.azurewebsites.net/api/") == "https://func-x.azurewebsites.net"
