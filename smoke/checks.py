"""The smoke checks: what to request, what the answer must be, and the verdict of each."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

HEALTH = "/api/health"
PROTECTED = "/api/posture/history?days=1"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SmokeError(Exception):
    """The smoke check cannot run as asked (bad URL, no token); ``str()`` says how to fix it."""


@dataclass(frozen=True, slots=True)
class Result:
    """One check: what was sent, what was expected, what came back."""

    name: str
    expected: str
    status: int | None
    passed: bool

    def line(self) -> str:
        got = "no answer" if self.status is None else str(self.status)
        return (
            f"{'ok  ' if self.passed else 'FAIL'} {self.name}: expected {self.expected}, got {got}"
        )


def base_url(url: str) -> str:
    """The app's base URL (with or without a trailing /api), checked for a safe scheme."""
    parts = urlsplit(url.strip())
    if not parts.hostname:
        raise SmokeError(
            f"--url must be the app's URL, e.g. https://<app>.azurewebsites.net: {url!r}"
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise SmokeError(
            "--url must be https:// (a bearer token is sent to it); http only on loopback"
        )
    if parts.username or parts.password or parts.query:
        raise SmokeError("--url must carry no credentials and no query string")
    path = parts.path.rstrip("/")
    path = path[: -len("/api")] if path.endswith("/api") else path
    return f"{parts.scheme}://{parts.netloc}{path}"


def forged_principal() -> str:
    """An X-MS-CLIENT-PRINCIPAL a caller made up: every role, no signature behind it."""
    claims = [
        {"typ": "oid", "val": "00000000-0000-4000-8000-000000000000"},
        *(
            {"typ": "roles", "val": role}
            for role in ("Posture.Read", "Posture.Admin", "Jobs.Admin")
        ),
    ]
    document = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return base64.b64encode(json.dumps(document).encode()).decode()


@dataclass
class Smoke:
    """The four checks against one app."""

    url: str
    token: str
    verify: bool | str = True
    timeout: float = 30.0
    session: requests.Session | None = None

    def _get(self, path: str, headers: dict[str, str]) -> int | None:
        http = self.session or requests.Session()
        try:
            response = http.get(
                self.url + path,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.RequestException:
            return None
        response.close()
        return response.status_code

    def wait_until_up(self, *, seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Poll the health route until it answers 200 or ``seconds`` pass (a fresh deploy
        cold-starts, and its role assignments take minutes to apply)."""
        deadline = time.monotonic() + seconds
        while self._get(HEALTH, {}) != 200 and time.monotonic() < deadline:
            sleep(5.0)

    def run(self) -> list[Result]:
        health = self._get(HEALTH, {})
        anonymous = self._get(PROTECTED, {})
        forged = self._get(
            PROTECTED,
            {
                "X-MS-CLIENT-PRINCIPAL": forged_principal(),
                "X-MS-CLIENT-PRINCIPAL-ID": "00000000-0000-4000-8000-000000000000",
                "X-MS-CLIENT-PRINCIPAL-IDP": "aad",
            },
        )
        authorized = self._get(PROTECTED, {"Authorization": f"Bearer {self.token}"})
        return [
            Result("health without a token", "200", health, health == 200),
            Result("protected route without a token", "401", anonymous, anonymous == 401),
            Result(
                "protected route with a forged X-MS-CLIENT-PRINCIPAL and no token",
                "401",
                forged,
                forged == 401,
            ),
            Result(
                "protected route with a real token",
                "2xx",
                authorized,
                authorized is not None and 200 <= authorized < 300,
            ),
        ]
