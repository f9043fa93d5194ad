"""Who is calling: the principal App Service Authentication passed on, or 401/403."""

from __future__ import annotations

import azure.functions as func

from blueprints.http.errors import Forbidden, Unauthenticated
from shared.principal import Principal, PrincipalError, principal_from_headers


def require_caller(req: func.HttpRequest, *roles: str) -> Principal:
    """The authenticated caller; with ``roles``, one who holds at least one of them.

    :raises Unauthenticated: no readable principal (the platform let an anonymous call through).
    :raises Forbidden: the caller holds none of ``roles`` (the message names the first).
    """
    try:
        principal = principal_from_headers(req.headers)
    except PrincipalError as exc:
        raise Unauthenticated("an authenticated caller is required") from exc
    if roles and not any(principal.has_role(role) for role in roles):
        raise Forbidden(f"the caller lacks the app role {roles[0]}")
    return principal
