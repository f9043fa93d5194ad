"""The partner stub as an Entra-protected API: a bearer token from its tenant, and no key.

With ``devstack up --partner-auth entra`` the stub accepts ``POST /v1/analyze`` only with
``Authorization: Bearer <token>`` where the token is what a Microsoft identity platform
protected API accepts from its own tenant: signed with the tenant's key (found through its
OpenID discovery document in Azure; handed over in this process here), ``iss`` the tenant's
v2.0 issuer, ``aud`` the API's application id (or its identifier URI), ``tid`` the tenant,
unexpired, and ``roles`` holding the app role the API requires. A call that carries the old
``X-Api-Key`` header is refused whatever else it carries: this partner takes no key.

Refusals are 401 with ``WWW-Authenticate: Bearer`` and RFC 6750's ``error`` (``invalid_token``),
or 403 ``insufficient_scope`` for a valid token without the role; the body names the reason,
never the token.

``POST /devstack/revoke-tokens`` revokes every token the stub has seen so far (by its ``uti``),
as a partner revoking the app's sessions would: the next call with one is a 401, which a
careful client answers by getting a new token once.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["BearerGate", "Refusal"]

_LEEWAY_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    error: str  # RFC 6750: invalid_request, invalid_token, insufficient_scope
    reason: str
    counter: str

    def response(self) -> Response:
        challenge = f'Bearer error="{self.error}"'
        return JSONResponse(
            {"error": self.error, "detail": self.reason},
            status_code=self.status,
            headers={"WWW-Authenticate": challenge},
        )


@dataclass
class BearerGate:
    """What the API demands of a token, and the tokens it has seen (for revocation).

    :param key: the tenant's public signing key.
    :param issuer: the tenant's v2.0 issuer.
    :param audiences: the API's application id and identifier URI.
    :param tenant_id: the tenant (``tid``).
    :param role: the app role a caller must hold.
    """

    key: Any
    issuer: str
    audiences: tuple[str, ...]
    tenant_id: str
    role: str
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seen: set[str] = field(default_factory=set, repr=False)
    _revoked: set[str] = field(default_factory=set, repr=False)
    by_tenant: Counter[str] = field(default_factory=Counter)

    def check(self, headers: Headers, *, key_header: str) -> Refusal | dict[str, Any]:
        """The token's claims, or why the call is refused."""
        if key_header.lower() in headers:
            return Refusal(401, "invalid_request", "this API takes no API key", "api_key_refused")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Refusal(401, "invalid_request", "a bearer token is required", "unauthorized")
        try:
            claims: dict[str, Any] = jwt.decode(
                token.strip(),
                key=self.key,
                algorithms=["RS256"],
                audience=list(self.audiences),
                issuer=self.issuer,
                options={"require": ["exp", "iat", "aud", "iss", "tid"]},
                leeway=_LEEWAY_SECONDS,
            )
        except jwt.PyJWTError as exc:
            reason = f"the token is not valid here ({type(exc).__name__})"
            return Refusal(401, "invalid_token", reason, "unauthorized")
        if claims.get("tid") != self.tenant_id:
            return Refusal(401, "invalid_token", "the token is from another tenant", "unauthorized")
        token_id = str(claims.get("uti") or "")
        with self._lock:
            if token_id in self._revoked:
                return Refusal(401, "invalid_token", "the token was revoked", "unauthorized")
            self._seen.add(token_id)
        if self.role not in (claims.get("roles") or []):
            reason = f"the token lacks the {self.role} app role"
            return Refusal(403, "insufficient_scope", reason, "forbidden")
        with self._lock:
            self.by_tenant[str(claims["tid"])] += 1
        return claims

    def revoke_seen(self) -> int:
        """Revoke every token seen so far; how many."""
        with self._lock:
            fresh = self._seen - self._revoked
            self._revoked |= fresh
            return len(fresh)

    def reset_stats(self) -> None:
        with self._lock:
            self.by_tenant.clear()

    def routes(self) -> list[BaseRoute]:
        async def revoke(_: Request) -> Response:
            return JSONResponse({"revoked": self.revoke_seen()})

        return [Route("/devstack/revoke-tokens", revoke, methods=["POST"])]
