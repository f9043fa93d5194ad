"""The caller, proven by its own token: the app verifies it too, whatever is in front of it.

App Service Authentication validates the caller's Entra token before a function runs and
passes the caller on as ``X-MS-CLIENT-PRINCIPAL``; external requests cannot set that header
*while it is on*. Switched off, misconfigured or drifted (an excluded path too many), the
header is whatever the caller sends, ``Jobs.Admin`` included. So the app trusts no header:
it verifies the bearer token itself, which App Service passes to the app unchanged in the
original ``Authorization`` header, as a resource server should (Microsoft identity
platform, "Access tokens": validate the signature against the issuer's published keys, the
issuer, the audience and the lifetime before trusting any claim).

Checked: the RS256 signature against the issuer's JWKS (cached; an unknown key id refetches
the set at most once per cooldown, so forged key ids cannot make the app hammer the
issuer), ``iss`` against the configured issuers, ``aud`` against the configured audiences,
``exp``/``nbf`` (with :data:`LEEWAY` seconds of clock skew), an ``oid`` and the tenant. Roles
come from the token's ``roles`` claim only. Failures say what failed, never the token. A
token that passed proves the same caller when it comes again, for five minutes at most and
never past its expiry, without a second verification (:mod:`shared.callers._verified`).

Every claim the app reads has the type Entra gives it, checked strictly after the signature
(PyJWT alone takes ``"exp": "1900000000"`` as a number, and would pass an ``oid`` that is
empty, a list or an object to the code that keys jobs by it): ``exp``, ``iat`` and ``nbf``
are JSON numbers; ``aud`` and ``iss`` are strings; ``oid`` and ``tid`` are GUIDs in their
text form; ``roles`` is a list of strings. ``tid`` must be the tenant the token's issuer
names (``https://sts.windows.net/<tenant>/``, ``https://login.microsoftonline.com/<tenant>/
v2.0``): "validate the tenant" is the platform's advice for any app that trusts one tenant
(Microsoft identity platform, "Access tokens", validating tokens), and the issuer setting is
where the expected tenant is already written, so no second setting can disagree with it.
"""

from __future__ import annotations

import json
import math
import ssl
import threading
import uuid
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import jwt
from jwt.utils import base64url_decode

from shared.callers._principal import Principal
from shared.callers._verified import VerifiedTokens
from shared.callers.errors import CallerTokenError, IssuerKeysUnavailableError

__all__ = ["LEEWAY", "TokenVerifier", "bearer_token", "reset", "tenant_of", "verifier"]

#: Seconds of clock skew tolerated on ``exp`` and ``nbf``.
LEEWAY = 60
#: Seconds the issuer's key set is reused; an unknown key id refetches it (at most once per
#: :data:`KEY_REFRESH_COOLDOWN`), so a key the issuer has just rolled over is found.
KEY_SET_LIFESPAN = 3600
KEY_REFRESH_COOLDOWN = 30
KEY_FETCH_TIMEOUT = 5
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "oid", "tid"]
_TIME_CLAIMS = ("exp", "iat", "nbf")
_NAME_CLAIMS = ("name", "preferred_username", "upn", "appid", "azp")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header.

    :raises CallerTokenError: no header, another scheme, or no token.
    """
    if not authorization:
        raise CallerTokenError("a bearer token is required")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CallerTokenError("the Authorization header is not a bearer token")
    return token.strip()


class TokenVerifier:
    """Verifies caller tokens from one set of issuers and audiences against one key set.

    :keyword issuers: accepted ``iss`` values (v2: ``https://login.microsoftonline.com/
        <tenant>/v2.0``; v1: ``https://sts.windows.net/<tenant>/``).
    :keyword audiences: accepted ``aud`` values (the API's client id and/or its
        ``api://`` identifier URI).
    :keyword jwks_url: where the issuer publishes its keys.
    :keyword ssl_context: for an https key-set URL (default: the system's trust store).
    """

    def __init__(
        self,
        *,
        issuers: Sequence[str],
        audiences: Sequence[str],
        jwks_url: str,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not issuers or not audiences:
            raise ValueError("at least one issuer and one audience are needed")
        self.issuers = tuple(issuers)
        self.audiences = tuple(audiences)
        self._keys = jwt.PyJWKClient(
            jwks_url,
            cache_keys=True,
            lifespan=KEY_SET_LIFESPAN,
            timeout=KEY_FETCH_TIMEOUT,
            ssl_context=ssl_context,
            cooldown_duration=KEY_REFRESH_COOLDOWN,
        )
        self._verified = VerifiedTokens(leeway=LEEWAY)

    def verify(self, token: str) -> Principal:
        """The caller the token proves.

        :raises CallerTokenError: the token is malformed, signed by a key the issuer does not
            publish, or fails the issuer, audience, lifetime or ``oid`` checks.
        :raises IssuerKeysUnavailableError: the key set could not be fetched.
        """
        remembered = self._verified.get(token)  # the same token lately: the same caller
        if remembered is not None:
            return remembered
        try:
            key = self._keys.get_signing_key(_key_id(token)).key
        except jwt.PyJWKClientConnectionError as exc:
            raise IssuerKeysUnavailableError("the issuer's signing keys are unavailable") from exc
        except jwt.PyJWKClientError as exc:
            raise CallerTokenError("the token is not signed by a key of its issuer") from exc
        except jwt.PyJWTError as exc:
            raise CallerTokenError("the token is malformed") from exc
        claims = _decode(token, key, self.issuers, self.audiences)
        expected = tenant_of(claims["iss"])
        if expected is not None and _guid(claims["tid"]) != expected:
            raise CallerTokenError("the token is from another tenant")
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise CallerTokenError("the token's roles claim is malformed")
        object_id = _guid(claims["oid"]) or ""
        name = next(
            (claims[c] for c in _NAME_CLAIMS if isinstance(claims.get(c), str) and claims[c]),
            object_id,
        )
        principal = Principal(object_id=object_id, name=name, roles=frozenset(roles))
        self._verified.put(token, principal, expires=float(claims["exp"]))
        return principal


def _key_id(token: str) -> Any:
    """The ``kid`` of the token's header, read from the header segment alone: the signature
    check that follows parses the whole token strictly and verifies it, so the key lookup
    need not parse it too (PyJWKClient's ``get_signing_key_from_jwt`` would, payload and
    all). A header without a ``kid`` gives None, which matches a published key without one,
    as PyJWKClient's own lookup does.

    :raises CallerTokenError: the header is not base64url JSON, or its ``kid`` not a string.
    """
    try:
        header = json.loads(base64url_decode(token.split(".", 1)[0]))
    except (ValueError, RecursionError):  # binascii.Error and UnicodeDecodeError among them
        raise CallerTokenError("the token is malformed") from None
    kid = header.get("kid") if isinstance(header, dict) else False
    if kid is not None and not isinstance(kid, str):
        raise CallerTokenError("the token is malformed")
    return kid


def tenant_of(issuer: str) -> str | None:
    """The tenant id an Entra issuer URL names (its GUID path segment), lower-case."""
    for segment in urlsplit(issuer).path.split("/"):
        if (tenant := _guid(segment)) is not None:
            return tenant
    return None


def _guid(value: object) -> str | None:
    """``value`` as a canonical lower-case GUID, if it is one in its 36-character form."""
    if not isinstance(value, str) or len(value) != 36:
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return str(parsed) if str(parsed) == value.lower() else None


def _check_types(claims: dict[str, Any]) -> None:
    """Every claim the app reads, of the type Entra gives it (the signature already holds).

    :raises CallerTokenError: a required claim missing, or one of another type.
    """
    for name in _REQUIRED_CLAIMS:
        if name not in claims:
            raise CallerTokenError(f"the token lacks the {name!r} claim")
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if name in claims and not (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        ):
            raise CallerTokenError(f"the token's {name!r} claim is not a number")
    for name in ("iss", "aud"):
        if not isinstance(claims[name], str):
            raise CallerTokenError(f"the token's {name!r} claim is not a string")
    for name in ("oid", "tid"):
        if _guid(claims[name]) is None:
            raise CallerTokenError(f"the token's {name!r} claim is not a GUID")


class _TypedClaims(jwt.PyJWT):
    """PyJWT with the claims' types judged as the payload is parsed: after the signature
    holds, before PyJWT reads a claim (it would take ``"exp": "1900000000"`` for a number,
    and ``True`` for 1). One parse and one signature check per token: the handler's own
    share of a submission (P4, docs/performance.md) is mostly this verification."""

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        payload = super()._decode_payload(decoded)
        _check_types(payload)
        return payload


_TYPED: Final = _TypedClaims()


def _decode(
    token: str, key: Any, issuers: tuple[str, ...], audiences: tuple[str, ...]
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = _TYPED.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=list(audiences),
            issuer=list(issuers),
            leeway=LEEWAY,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise CallerTokenError("the token has expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise CallerTokenError("the token is not valid yet") from exc
    except jwt.InvalidAudienceError as exc:
        raise CallerTokenError("the token is for another audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise CallerTokenError("the token is from another issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise CallerTokenError("the token's signature does not verify") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise CallerTokenError(f"the token lacks the {exc.claim!r} claim") from exc
    except jwt.PyJWTError as exc:
        raise CallerTokenError("the token is malformed") from exc
    return claims


_lock = threading.Lock()
_verifier: TokenVerifier | None = None


def verifier() -> TokenVerifier:
    """The process's verifier, built from the settings on first use (its key cache is shared)."""
    global _verifier
    if _verifier is None:
        with _lock:
            if _verifier is None:
                from shared.settings import get_settings

                settings = get_settings()
                _verifier = TokenVerifier(
                    issuers=settings.caller_token_issuers,
                    audiences=settings.caller_token_audiences,
                    jwks_url=settings.caller_token_jwks_url,
                )
    return _verifier


def reset() -> None:
    """Forget the process's verifier (tests; a settings change)."""
    global _verifier
    with _lock:
        _verifier = None
