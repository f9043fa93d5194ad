"""App Service Authentication ("Easy Auth"), emulated in front of HTTP functions.

In Azure the platform validates the caller's Entra token before the function
runs, answers 401 itself when it is missing or invalid, and passes the caller
to the app as ``X-MS-CLIENT-PRINCIPAL*`` headers that external requests cannot
set. The devstack host does the same against the local issuer's JWKS, so the
app's authorization code is exercised unchanged.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from devstack.tokens import InvalidTokenError, verify_token

PRINCIPAL_HEADERS = (
    "x-ms-client-principal",
    "x-ms-client-principal-id",
    "x-ms-client-principal-name",
    "x-ms-client-principal-idp",
    "x-ms-token-aad-access-token",
)
ROLE_CLAIM = "roles"
NAME_CLAIM = "name"
_SCALAR_CLAIMS = ("aud", "iss", "iat", "nbf", "exp", "oid", "sub", "tid", "appid", "azp", "name")


class AuthenticationError(Exception):
    """The request carries no valid token; ``reason`` is safe to return to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """What ``authsettingsV2`` says in Azure: issuer, allowed audiences, excluded paths."""

    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str
    excluded_paths: tuple[str, ...] = ()


def encode_principal(claims: Mapping[str, Any]) -> str:
    """Encode claims as App Service's ``X-MS-CLIENT-PRINCIPAL`` (base64 JSON)."""
    entries: list[dict[str, str]] = []
    for name in _SCALAR_CLAIMS:
        if name in claims:
            entries.append({"typ": name, "val": str(claims[name])})
    for role in claims.get(ROLE_CLAIM, []) or []:
        entries.append({"typ": ROLE_CLAIM, "val": str(role)})
    document = {
        "auth_typ": "aad",
        "claims": entries,
        "name_typ": NAME_CLAIM,
        "role_typ": ROLE_CLAIM,
    }
    return base64.b64encode(json.dumps(document).encode()).decode()


class EasyAuth:
    """Validates bearer tokens and produces the principal headers for the app."""

    def __init__(self, settings: AuthSettings, *, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, ssl_context=ssl_context)

    def is_excluded(self, path: str) -> bool:
        normalized = path.rstrip("/").lower() or "/"
        return any(
            normalized == excluded.rstrip("/").lower() for excluded in self.settings.excluded_paths
        )

    def authenticate(self, authorization: str | None) -> dict[str, str]:
        """Return the ``X-MS-CLIENT-PRINCIPAL*`` headers for a valid bearer token."""
        if not authorization:
            raise AuthenticationError("missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("authorization header is not a bearer token")
        token = token.strip()
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError("token signing key is not trusted") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationError("malformed token") from exc
        try:
            claims = verify_token(
                token,
                key=signing_key,
                issuer=self.settings.issuer,
                audience=list(self.settings.audiences),
            )
        except InvalidTokenError as exc:
            raise AuthenticationError(exc.reason) from exc
        object_id = str(claims.get("oid") or claims.get("sub") or "")
        name = str(claims.get("name") or claims.get("appid") or object_id)
        return {
            "X-MS-CLIENT-PRINCIPAL": encode_principal(claims),
            "X-MS-CLIENT-PRINCIPAL-ID": object_id,
            "X-MS-CLIENT-PRINCIPAL-NAME": name,
            "X-MS-CLIENT-PRINCIPAL-IDP": "aad",
        }


def strip_principal_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop caller-supplied principal headers: only the platform may set them."""
    return [(name, value) for name, value in headers if name.lower() not in PRINCIPAL_HEADERS]
