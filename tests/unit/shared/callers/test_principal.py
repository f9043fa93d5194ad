"""shared.callers._principal: the caller as App Service Authentication passes it on."""

from __future__ import annotations

import base64
import json

import pytest

from shared.callers import PrincipalError, principal_from_headers


def _header(claims: list[dict[str, str]], **extra: str) -> str:
    return base64.b64encode(json.dumps({"claims": claims, **extra}).encode()).decode()


def test_principal_roles_and_id() -> None:
    encoded = _header(
        [
            {"typ": "oid", "val": "abc"},
            {"typ": "roles", "val": "Jobs.Submit"},
            {"typ": "roles", "val": "Posture.Read"},
            {"typ": "name", "val": "Ada"},
        ],
        role_typ="roles",
        name_typ="name",
    )
    principal = principal_from_headers({"X-MS-CLIENT-PRINCIPAL": encoded})
    assert principal.object_id == "abc"
    assert principal.name == "Ada"
    assert principal.roles == {"Jobs.Submit", "Posture.Read"}
    assert not principal.has_role("Jobs.Admin")


def test_principal_id_header_wins_and_long_role_type_is_understood() -> None:
    role_uri = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    encoded = _header([{"typ": role_uri, "val": "Jobs.Admin"}], role_typ=role_uri)
    principal = principal_from_headers(
        {"x-ms-client-principal": encoded, "X-MS-CLIENT-PRINCIPAL-ID": "from-header"}
    )
    assert principal.object_id == "from-header"
    assert principal.has_role("Jobs.Admin")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-MS-CLIENT-PRINCIPAL": "%%%"},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[]").decode()},
        {"X-MS-CLIENT-PRINCIPAL": _header([{"typ": "roles", "val": "x"}])},
    ],
)
def test_missing_or_unreadable_principal(headers: dict[str, str]) -> None:
    with pytest.raises(PrincipalError):
        principal_from_headers(headers)
