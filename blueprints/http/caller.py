"""Who is calling: the caller its own bearer token proves, or 401/403.

The app does not take ``X-MS-CLIENT-PRINCIPAL`` on trust (see :mod:`shared.callers._token`):
it verifies the bearer token App Service passes on in the ``Authorization`` header, and
takes the caller and its roles from that token alone. No valid token, no caller, whatever
the other headers say.
"""

from __future__ import annotations

import azure.functions as func

from blueprints.http.errors import Forbidden, Unauthenticated, Unavailable
from shared.callers import Principal


def require_caller(req: func.HttpRequest, *roles: str) -> Principal:
    """The authenticated caller; with ``roles``, one who holds at least one of them.

    :raises Unauthenticated: no bearer token, or one that fails verification.
    :raises Forbidden: the caller holds none of ``roles`` (the message names the first).
    :raises Unavailable: the issuer's signing keys cannot be fetched right now.
    """
    from shared.callers import CallerTokenError, IssuerKeysUnavailableError, bearer_token, verifier

    try:
        principal = verifier().verify(bearer_token(req.headers.get("authorization")))
    except CallerTokenError as exc:
        raise Unauthenticated(str(exc)) from exc
    except IssuerKeysUnavailableError as exc:
        raise Unavailable("the token issuer's keys are unavailable; retry later") from exc
    if roles and not any(principal.has_role(role) for role in roles):
        raise Forbidden(f"the caller lacks the app role {roles[0]}")
    return principal
