"""What the vault's tests share: the vault's configured origin, HTTP on it, a settable clock."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from tests.support.servers import BaseUrlSession

ORIGIN = "https://127.0.0.1:7073"
RESOURCE = "https://0.0.1:7073"
API = {"api-version": "2026-04-01"}
T0 = 1_700_000_000
DAY = 86_400


class Http(BaseUrlSession):
    """Absolute URLs on the vault's origin (ids, nextLinks) are mapped to the test server."""

    def __init__(self, base: str) -> None:
        super().__init__(base, origin=ORIGIN)


class Clock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


def wait_for(condition: Callable[[], bool]) -> bool:
    """Server-side log lines are written just after the response: give them a moment."""
    deadline = time.monotonic() + 5
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def value() -> str:
    return secrets.token_urlsafe(24)


def put(client: Http, name: str, secret: str, **body: Any) -> dict[str, Any]:
    response = client.put(f"/secrets/{name}", params=API, json={"value": secret, **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]
