"""Key Vault's bearer challenge: which audience the vault accepts and how it refuses a caller.

A request without a bearer token gets 401 with ``WWW-Authenticate: Bearer
authorization="https://login.microsoftonline.com/{tenant}", resource="{resource}"``; the
SDK then asks its credential for ``{resource}/.default``. With the default
``verify_challenge_resource=True`` the SDK accepts the challenge only when the vault's
host *ends with* ``"." + resource host`` (equality is refused), as
``myvault.vault.azure.net`` ends with ``.vault.azure.net``. The resource is therefore the
origin's parent domain, port kept: ``https://127.0.0.1:7073`` -> ``https://0.0.1:7073``
(see :func:`challenge_resource`). Tokens must carry exactly that audience: Key Vault
refuses any other, even with a trailing slash.

The refusals' messages are Key Vault's (where they were confirmed: see
:mod:`devstack.vault.api`); none of them ever contains the token.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import jwt
from starlette.responses import Response

from devstack.tokens import InvalidTokenError, TokenIssuer
from devstack.vault.errors import error_response

logger = logging.getLogger("devstack.vault")

_LOGIN = "https://login.microsoftonline.com"
_NO_BEARER = "Request is missing a Bearer or PoP token."
_EXPIRED = "[TokenExpired] Error validating token: 'S2S12086'."


def challenge_resource(origin: str) -> str:
    """The resource a vault at ``origin`` names in its challenge: the origin's parent domain.

    Key Vault at ``https://myvault.vault.azure.net`` names ``https://vault.azure.net``; the SDK's
    challenge check needs that suffix relation, so a loopback vault at ``https://127.0.0.1:7073``
    names ``https://0.0.1:7073``. A host without a dot (``localhost``) cannot satisfy the check.
    """
    parts = urlsplit(origin)
    host, port = parts.hostname, parts.port
    if parts.scheme != "https" or not host:
        raise ValueError(f"vault origin must be an https URL, got {origin!r}")
    if "." not in host:
        raise ValueError(
            f"vault host {host!r} has no parent domain: SecretClient's challenge check needs "
            "one (use 127.0.0.1 or a name with a dot)"
        )
    parent = host.split(".", 1)[1]
    return f"https://{parent}" if port in (None, 443) else f"https://{parent}:{port}"


_hinted: set[str] = set()


def hint_undotted_host(host: str, origin: str) -> None:
    """Say once per host why a client that called ``https://localhost:...`` will fail.

    The SDK compares the challenge's resource with the host it called; ``localhost`` has no
    parent domain, so no resource can pass and ``SecretClient`` raises "The challenge resource
    ... does not match the requested domain" before it asks for a token.
    """
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not name or "." in name or name.startswith("[") or host in _hinted:
        return
    _hinted.add(host)
    logger.warning(
        "a client called the vault as https://%s: SecretClient refuses the challenge of a host "
        "without a dot (its challenge resource check); call it as %s/ instead",
        host,
        origin,
    )


class Challenge:
    """The vault's identity: tokens of ``issuer`` for ``resource`` pass, others get the 401."""

    def __init__(self, issuer: TokenIssuer, resource: str) -> None:
        self.issuer, self.resource = issuer, resource
        self.header = f'Bearer authorization="{_LOGIN}/{issuer.tenant_id}", resource="{resource}"'

    def refusal(self, authorization: str | None) -> Response | None:
        """None for a valid bearer token; otherwise Key Vault's 401 with the challenge."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._unauthorized(_NO_BEARER)
        try:
            self.issuer.verify(token, audience=self.resource)
        except InvalidTokenError as exc:
            return self._unauthorized(self._token_message(exc.reason, token))
        return None

    def _token_message(self, reason: str, token: str) -> str:
        if reason == "token expired":
            return _EXPIRED
        if reason == "invalid audience":
            try:
                found = jwt.decode(token, options={"verify_signature": False}).get("aud")
            except jwt.PyJWTError:
                found = None
            return (
                f"AKV10022: Invalid audience. Expected {self.resource}, found: {str(found)[:200]}."
            )
        return f"Error validating token: {reason}."

    def _unauthorized(self, message: str) -> Response:
        return error_response(
            401, "Unauthorized", message, headers={"WWW-Authenticate": self.header}
        )
