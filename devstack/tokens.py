"""The devstack's token issuer: a local stand-in for Entra ID.

Every piece of the stack that needs a token, or needs to trust one, goes
through one :class:`TokenIssuer`: the managed-identity endpoint mints access
tokens for the app, ``python -m devstack token`` mints caller tokens, the vault
and the host's authentication emulation verify them. Tokens are real RS256
JWTs with the claims Entra puts in them, so the SDKs and Azurite treat them as
they would treat Entra's.

The signing key is generated on first start and kept under the state
directory so caller tokens minted by the CLI stay valid across a restart.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.files import write_private

#: A fixed, obviously-local tenant id: tokens name it in ``iss`` and ``tid``.
DEV_TENANT_ID = "00000000-0000-4000-8000-0000000de7e0"
#: Object id and client id of the app's (user-assigned) managed identity.
APP_IDENTITY_OBJECT_ID = "11111111-1111-4111-8111-111111111111"
APP_IDENTITY_CLIENT_ID = "22222222-2222-4222-8222-222222222222"
#: Object id and client id of the rotation's identity (docs/rotation.md): a second
#: user-assigned identity the endpoint serves, as the rotation app's is in Azure.
ROTATION_IDENTITY_OBJECT_ID = "66666666-6666-4666-8666-666666666666"
ROTATION_IDENTITY_CLIENT_ID = "55555555-5555-4555-8555-555555555555"
#: The default caller's object id (``python -m devstack token``).
DEV_CALLER_OBJECT_ID = "33333333-3333-4333-8333-333333333333"
#: The audience the local API accepts (the app registration's identifier URI).
DEFAULT_APP_AUDIENCE = "api://secretless-functions-local"

DEFAULT_LIFETIME_SECONDS = 3600


class InvalidTokenError(Exception):
    """A token failed verification. ``reason`` is safe to show: it never holds the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issuer_url(tenant_id: str = DEV_TENANT_ID) -> str:
    """The v1 issuer Entra puts in access tokens; Azurite requires this prefix."""
    return f"https://sts.windows.net/{tenant_id}/"


def v2_issuer_url(tenant_id: str = DEV_TENANT_ID) -> str:
    """The tenant's v2.0 authority: the issuer of a managed identity's token for the token
    exchange, and so the issuer of a federated credential that trusts the identity."""
    return f"https://login.microsoftonline.com/{tenant_id}/v2.0"


#: The audiences of a managed identity's token meant as a client assertion (one per cloud);
#: the identity endpoint answers them as Entra does: a v2.0 token whose subject is the
#: identity's object id (shared/federation/_credential.py cites the page).
EXCHANGE_AUDIENCES = frozenset(
    {
        "api://AzureADTokenExchange",
        "api://AzureADTokenExchangeUSGov",
        "api://AzureADTokenExchangeChina",
    }
)


@dataclass(frozen=True, slots=True)
class MintedToken:
    token: str
    expires_on: int


class TokenIssuer:
    """Mints and verifies RS256 access tokens for the local tenant."""

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        *,
        tenant_id: str = DEV_TENANT_ID,
        issuer: str | None = None,
    ) -> None:
        self._key = private_key
        self._public_key = private_key.public_key()
        self.tenant_id = tenant_id
        self.issuer = issuer or issuer_url(tenant_id)
        self.key_id = uuid.uuid5(uuid.NAMESPACE_URL, self._public_pem().decode()).hex[:16]

    # -- construction -------------------------------------------------------

    @classmethod
    def generate(cls, *, tenant_id: str = DEV_TENANT_ID, issuer: str | None = None) -> TokenIssuer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(key, tenant_id=tenant_id, issuer=issuer)

    @classmethod
    def load_or_create(cls, path: Path) -> TokenIssuer:
        """Load the signing key at ``path``, creating it (mode 0600) if absent."""
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{path} does not hold an RSA private key")
            return cls(key)
        issuer = cls.generate()
        pem = issuer._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(path, pem)
        return issuer

    def _public_pem(self) -> bytes:
        return self._public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    # -- minting ------------------------------------------------------------

    def mint(
        self,
        audience: str,
        *,
        object_id: str,
        app_id: str,
        lifetime: int = DEFAULT_LIFETIME_SECONDS,
        roles: list[str] | None = None,
        not_before: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> MintedToken:
        """Mint an access token for ``audience`` as Entra would for this principal."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iss": self.issuer,
            "iat": now,
            "nbf": now if not_before is None else not_before,
            "exp": now + lifetime,
            "oid": object_id,
            "sub": object_id,
            "appid": app_id,
            "tid": self.tenant_id,
            "ver": "1.0",
            "uti": uuid.uuid4().hex,
        }
        if roles:
            claims["roles"] = list(roles)
        if extra:
            claims.update(extra)
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})
        return MintedToken(token=token, expires_on=claims["exp"])

    def mint_for_app_identity(
        self, resource: str, *, client_id: str | None = None, object_id: str | None = None
    ) -> MintedToken:
        """A managed-identity token for the app, as the identity endpoint returns it."""
        resource = resource.removesuffix("/.default")
        return self.mint(
            resource,
            object_id=object_id or APP_IDENTITY_OBJECT_ID,
            app_id=client_id or APP_IDENTITY_CLIENT_ID,
            extra={
                "idtyp": "app",
                "xms_mirid": (
                    "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/devstack"
                    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-devstack"
                ),
            },
        )

    def mint_exchange_assertion(
        self, audience: str, *, client_id: str | None = None, object_id: str | None = None
    ) -> MintedToken:
        """The identity's token for the token exchange: v2.0, issued by the tenant's v2.0
        authority, ``sub`` the identity's object id, ``aud`` the exchange audience."""
        oid = object_id or APP_IDENTITY_OBJECT_ID
        return self.mint(
            audience,
            object_id=oid,
            app_id=client_id or APP_IDENTITY_CLIENT_ID,
            extra={
                "iss": v2_issuer_url(self.tenant_id),
                "ver": "2.0",
                "azp": client_id or APP_IDENTITY_CLIENT_ID,
                "idtyp": "app",
            },
        )

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a token of this issuer's key, unchanged (tests forge with it)."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def public_key(self) -> Any:
        """The key that verifies this issuer's tokens (another local tenant trusts it)."""
        return self._public_key

    # -- verification -------------------------------------------------------

    def verify(self, token: str, *, audience: str | list[str]) -> dict[str, Any]:
        """Verify signature, issuer, audience and lifetime; return the claims.

        Raises :class:`InvalidTokenError` with a reason that never contains the token.
        """
        return verify_token(token, key=self._public_key, issuer=self.issuer, audience=audience)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JSON Web Key Set, served by the identity endpoint."""
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._public_key))
        jwk.update({"kid": self.key_id, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}


def verify_token(token: str, *, key: Any, issuer: str, audience: str | list[str]) -> dict[str, Any]:
    """Verify an RS256 token against ``key``; shared by the issuer and the host's JWKS path."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "nbf", "iat", "aud", "iss"]},
            leeway=0,
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("token expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidTokenError("token not yet valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidTokenError("invalid audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidTokenError("invalid issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidTokenError("invalid signature") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(f"malformed token ({type(exc).__name__})") from exc
    return claims


class IssuerCredential:
    """A ``TokenCredential`` minting app-identity tokens straight from the issuer.

    The devstack itself uses it to provision queues and containers before the
    app starts; tests use it where the identity endpoint is not the subject.
    """

    def __init__(self, issuer: TokenIssuer) -> None:
        self._issuer = issuer

    def get_token(self, *scopes: str, **_: Any) -> Any:
        from azure.core.credentials import AccessToken

        minted = self._issuer.mint_for_app_identity(scopes[0])
        return AccessToken(minted.token, minted.expires_on)

    def close(self) -> None:
        """Nothing to release; present so the credential can be closed like the SDK's."""
