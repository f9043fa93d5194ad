"""What the partner's tenant knows, and the federated token exchange it performs as Entra does.

The directory (:class:`Directory`) holds, as Entra would across two tenants:

* the multi-tenant app registration of the app's home tenant, with its federated identity
  credentials (issuer, subject, audiences: Graph's federatedIdentityCredential);
* in the partner's tenant: the app's service principal, present once the partner's admin
  consented (provisioned the app), with the app roles granted to it; and the partner's own
  API, its identifier URI, its application id and the roles it defines;
* the issuers whose tokens it can verify: the home tenant's v2.0 authority and its key.

:meth:`Directory.exchange` answers a client-credentials request whose client assertion is
the identity's token: the tenant must exist (``AADSTS90002``), the client app must be
provisioned there (``AADSTS700016``), the assertion must be a JWT (``AADSTS50027``) that one
of the app's federated credentials trusts, checked as Entra checks it: the issuer first
(none at all: ``AADSTS70021``; none with that issuer: ``AADSTS700211``), the signature with
that issuer's keys (``AADSTS700027``; an issuer whose keys it cannot fetch: ``AADSTS90061``),
the time range (``AADSTS700024``), then the subject (``AADSTS700213``) and the audience
(``AADSTS700212``). The scope must be a ``/.default`` of an API in the tenant (``AADSTS70011``,
``AADSTS500011``). The token is a v2.0 access token of the partner's tenant for that API:
``aud`` its application id, ``tid`` the partner's tenant, ``azp`` the client app, ``oid`` the
service principal, ``roles`` the granted app roles.

Every token issued is kept in memory (bounded) for the leak canary alone
(``GET /devstack/issued-tokens``); the counters are at ``/devstack/stats/tenant``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jwt

from devstack.tenant.errors import EntraError
from devstack.tokens import TokenIssuer

__all__ = [
    "ASSERTION_TYPE",
    "Directory",
    "FederatedCredential",
    "PartnerApi",
    "Registration",
    "ServicePrincipal",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME_SECONDS = 3600
MAX_REMEMBERED_TOKENS = 10_000
_LEEWAY_SECONDS = 300  # Entra's clock skew allowance on an assertion's time range


@dataclass(frozen=True, slots=True)
class FederatedCredential:
    """One federated identity credential of an app registration (Graph's shape)."""

    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "issuer": self.issuer,
            "subject": self.subject,
            "audiences": list(self.audiences),
        }


@dataclass(frozen=True, slots=True)
class Registration:
    """The multi-tenant app registration, in the app's home tenant."""

    client_id: str
    display_name: str
    federated: tuple[FederatedCredential, ...]


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    """The app provisioned in the partner's tenant, with the app roles granted to it."""

    object_id: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PartnerApi:
    """The partner's API: its identifier URI, its application id, the roles it defines."""

    identifier_uri: str
    app_id: str
    roles: tuple[str, ...]


@dataclass
class _State:
    registrations: dict[str, Registration] = field(default_factory=dict)
    consents: dict[str, ServicePrincipal] = field(default_factory=dict)


class Directory:
    """The partner's tenant and the registrations it sees; thread-safe.

    :param issuer: signs the tenant's tokens (its ``issuer`` is the tenant's v2.0 authority).
    :keyword trusted: issuer -> public key, for the assertions it verifies (the home tenant).
    :keyword api: the partner's API.
    """

    def __init__(
        self,
        issuer: TokenIssuer,
        *,
        trusted: Mapping[str, Any],
        api: PartnerApi,
        registrations: tuple[Registration, ...] = (),
        consents: Mapping[str, ServicePrincipal] | None = None,
    ) -> None:
        self.issuer, self.api = issuer, api
        self.tenant_id = issuer.tenant_id
        self._trusted = dict(trusted)
        self._lock = threading.Lock()
        self._seed = _State({r.client_id: r for r in registrations}, dict(consents or {}))
        self._state = _State(dict(self._seed.registrations), dict(self._seed.consents))
        self._counters: Counter[str] = Counter()
        self._refused: Counter[str] = Counter()
        self._issued: OrderedDict[str, None] = OrderedDict()

    # -- the directory, changed by tests and rehearsals -------------------------------------

    def registration(self, client_id: str) -> Registration | None:
        with self._lock:
            return self._state.registrations.get(client_id)

    def set_federated(self, client_id: str, credential: FederatedCredential) -> None:
        """Add or replace (by name) a federated credential of the app ``client_id``."""
        with self._lock:
            current = self._state.registrations[client_id]
            kept = tuple(f for f in current.federated if f.name != credential.name)
            self._state.registrations[client_id] = replace(current, federated=(*kept, credential))

    def remove_federated(self, client_id: str, name: str) -> bool:
        with self._lock:
            current = self._state.registrations[client_id]
            kept = tuple(f for f in current.federated if f.name != name)
            self._state.registrations[client_id] = replace(current, federated=kept)
            return len(kept) != len(current.federated)

    def revoke_consent(self, client_id: str) -> bool:
        """The partner's admin removes the app from its tenant (the service principal)."""
        with self._lock:
            return self._state.consents.pop(client_id, None) is not None

    def reset(self) -> None:
        """Back to the registrations and consents the stack started with."""
        with self._lock:
            self._state = _State(dict(self._seed.registrations), dict(self._seed.consents))

    def public(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tenant_id": self.tenant_id,
                "issuer": self.issuer.issuer,
                "api": {
                    "identifier_uri": self.api.identifier_uri,
                    "app_id": self.api.app_id,
                    "roles": list(self.api.roles),
                },
                "registrations": [
                    {
                        "client_id": r.client_id,
                        "display_name": r.display_name,
                        "federated_credentials": [f.public() for f in r.federated],
                        "consented": r.client_id in self._state.consents,
                    }
                    for r in self._state.registrations.values()
                ],
            }

    # -- the token endpoint -----------------------------------------------------------------

    def exchange(self, tenant: str, form: Mapping[str, str]) -> dict[str, Any]:
        """The token answer to a client-credentials request with a client assertion.

        :raises EntraError: with the code Entra answers the request with.
        """
        with self._lock:
            self._counters["token_requests"] += 1
        try:
            answer = self._exchange(tenant, form)
        except EntraError as refusal:
            with self._lock:
                self._refused[refusal.aadsts] += 1
            raise
        with self._lock:
            self._counters["issued"] += 1
            self._issued[answer["access_token"]] = None
            while len(self._issued) > MAX_REMEMBERED_TOKENS:
                self._issued.popitem(last=False)
        return answer

    def _exchange(self, tenant: str, form: Mapping[str, str]) -> dict[str, Any]:
        if tenant.lower() != self.tenant_id.lower():
            raise EntraError.tenant_not_found(tenant)
        for name in ("grant_type", "client_id", "scope", "client_assertion_type"):
            if not form.get(name):
                raise EntraError.missing_parameter(name)
        if form["grant_type"] != "client_credentials":
            raise EntraError.unsupported_grant(form["grant_type"])
        if form["client_assertion_type"] != ASSERTION_TYPE or not form.get("client_assertion"):
            raise EntraError.missing_parameter("client_assertion")
        client_id = form["client_id"]
        with self._lock:
            registration = self._state.registrations.get(client_id)
            principal = self._state.consents.get(client_id)
        if registration is None or principal is None:
            raise EntraError.app_not_in_tenant(client_id, self.tenant_id)
        self._check_assertion(registration, form["client_assertion"])
        scope = form["scope"]
        resource = scope.removesuffix("/.default")
        if resource == scope or " " in scope:
            raise EntraError.invalid_scope(scope)
        if resource not in (self.api.identifier_uri, self.api.app_id):
            raise EntraError.resource_not_found(resource, self.tenant_id)
        return self._token(client_id, principal)

    def _check_assertion(self, registration: Registration, assertion: str) -> None:
        try:
            claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise EntraError.invalid_jwt("The token format is not valid.") from None
        issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
        audiences = claims.get("aud")
        audience_list = audiences if isinstance(audiences, list) else [audiences]
        presented = [str(a) for a in audience_list if a]
        if not registration.federated:
            raise EntraError.no_federated_record(issuer, subject, ",".join(presented))
        by_issuer = [f for f in registration.federated if f.issuer == issuer]
        if not by_issuer:
            raise EntraError.no_record_for("issuer", issuer)
        key = self._trusted.get(issuer)
        if key is None:
            raise EntraError.external_issuer_unreachable()
        try:
            jwt.decode(
                assertion,
                key=key,
                algorithms=["RS256"],
                options={"verify_aud": False, "require": ["exp", "iat"]},
                leeway=_LEEWAY_SECONDS,
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            raise EntraError.assertion_expired() from None
        except jwt.InvalidSignatureError:
            raise EntraError.bad_signature() from None
        except jwt.PyJWTError:
            raise EntraError.invalid_jwt("The token is malformed.") from None
        by_subject = [f for f in by_issuer if f.subject == subject]
        if not by_subject:
            raise EntraError.no_record_for("subject", subject)
        if not any(a in f.audiences for f in by_subject for a in presented):
            raise EntraError.no_record_for("audience", ",".join(presented))

    def _token(self, client_id: str, principal: ServicePrincipal) -> dict[str, Any]:
        roles = [role for role in principal.roles if role in self.api.roles]
        minted = self.issuer.mint(
            self.api.app_id,
            object_id=principal.object_id,
            app_id=client_id,
            lifetime=TOKEN_LIFETIME_SECONDS,
            roles=roles,
            extra={"azp": client_id, "ver": "2.0", "idtyp": "app", "uti": uuid.uuid4().hex},
        )
        expires_in = max(0, minted.expires_on - int(time.time()))
        return {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": minted.token,
        }

    # -- what the stack shows ---------------------------------------------------------------

    def issued_tokens(self) -> list[str]:
        """Every token issued since start-up (bounded), for the leak canary."""
        with self._lock:
            return list(self._issued)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "token_requests": self._counters["token_requests"],
                "issued": self._counters["issued"],
                "refused": dict(self._refused),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._counters.clear()
            self._refused.clear()
