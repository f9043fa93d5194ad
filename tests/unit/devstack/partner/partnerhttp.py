"""What the partner stub's tests share: the key it accepts, calls to it, its faults and stats."""

import secrets
from typing import Any

from tests.support.servers import BaseUrlSession

HEADER = "X-Api-Key"
Http = BaseUrlSession


class Key:
    """The vault's current value of the partner secret, as ``accepted_key`` sees it."""

    def __init__(self) -> None:
        self.value: str | None = secrets.token_urlsafe(32)

    def __call__(self) -> str | None:
        return self.value


def analyze(http: Http, key: str | None, body: Any = None, **headers: str) -> Any:
    if key is not None:
        headers[HEADER] = key
    return http.post("/v1/analyze", json=body or {"text": "a good day"}, headers=headers)


def stats(control: Http) -> dict[str, Any]:
    result: dict[str, Any] = control.get("/stats/partner").json()
    return result


def set_fault(control: Http, **plan: Any) -> dict[str, Any]:
    response = control.put("/faults/partner", json=plan)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
