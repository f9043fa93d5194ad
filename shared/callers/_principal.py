"""The caller: :class:`Principal`, and App Service Authentication's header read as data.

In Azure (and on the devstack) the platform validates the caller's Entra token
before the function runs and passes the result as ``X-MS-CLIENT-PRINCIPAL``
(base64 JSON of claims). External requests cannot set that header while the platform's
authentication is on, but nothing proves to the app that it is on: the app authorizes
from the caller's verified token (:mod:`shared.callers._token`), never from this header.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import NamedTuple

from shared.callers.errors import PrincipalError

#: The app's own 401 and 403 carry ``X-Refused-By: app``. A refusal by App Service
#: Authentication never does: it answers before any function runs. The posture probe
#: RT-AUTH-PROBE tells the two apart by it, whatever body or challenge the platform's
#: refusal carries.
REFUSED_BY_HEADER = "X-Refused-By"
REFUSED_BY_APP = "app"

PRINCIPAL_HEADER = "x-ms-client-principal"
PRINCIPAL_ID_HEADER = "x-ms-client-principal-id"
_ROLE_TYPES = {"roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}
_OID_TYPES = ("oid", "http://schemas.microsoft.com/identity/claims/objectidentifier")


class Principal(NamedTuple):
    object_id: str
    name: str
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def principal_from_headers(headers: Mapping[str, str]) -> Principal:
    """Decode the principal; raise :class:`PrincipalError` when there is none."""
    lowered = _lower(headers)
    encoded = lowered.get(PRINCIPAL_HEADER)
    if not encoded:
        raise PrincipalError("no authenticated caller")
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
        claims = [(str(c["typ"]), str(c["val"])) for c in document.get("claims", [])]
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PrincipalError("unreadable principal header") from exc
    role_types = _ROLE_TYPES | {str(document.get("role_typ", "roles"))}
    roles = frozenset(value for kind, value in claims if kind in role_types)
    object_id = lowered.get(PRINCIPAL_ID_HEADER) or next(
        (value for kind, value in claims if kind in _OID_TYPES), ""
    )
    if not object_id:
        raise PrincipalError("principal has no object id")
    name_type = str(document.get("name_typ", "name"))
    name = next((value for kind, value in claims if kind == name_type), object_id)
    return Principal(object_id=object_id, name=name, roles=roles)
