"""The devstack's Key Vault: the secrets REST subset, so the real ``SecretClient`` works unchanged.

The app builds ``SecretClient(vault_url, DefaultAzureCredential())`` with the SDK's defaults;
this vault answers it the way Key Vault does, so the code under test is the code that ships.

Authentication follows Key Vault's challenge protocol (:mod:`devstack.vault.challenge`).

Behaviours matched to Key Vault, and where they were confirmed:

* missing token -> 401 ``Unauthorized`` "Request is missing a Bearer or PoP token." plus the
  challenge (SDK test recordings, Azure/azure-sdk-for-js keyvault-secrets);
* wrong audience -> 401 "AKV10022: Invalid audience. Expected ..., found: ..."
  (Azure/go-autorest#525, MicrosoftDocs/azure-docs#109562); expired token -> 401
  "[TokenExpired] Error validating token: 'S2S12086'." with the challenge header
  (Azure/azure-sdk-for-python#27266). Other token faults use the issuer's reason. An error
  never contains the token;
* reading a disabled version -> 403 ``Forbidden`` "Operation get is not allowed on a disabled
  secret." with inner error ``SecretDisabled`` (Azure/azure-sdk-for-js#24756);
* ``exp``/``nbf`` are informational: get works outside the window ("Date-time controlled
  operations" in Key Vault's about-secrets documentation), so expired and not-yet-valid
  secrets are returned with their attributes;
* setting a soft-deleted name -> 409 ``Conflict`` / ``ObjectIsDeletedButRecoverable``
  (external-secrets#3519, ansible-collections/azure#1145); deleted name unknown -> 404
  ``SecretNotFound`` "Deleted Secret not found: {name}" (Azure/azure-sdk-for-net#26027);
* lists page at ``maxresults`` (1-25, default 25) with an absolute ``nextLink`` carrying
  ``$skiptoken`` and ``nextLink: null`` on the last page (REST reference, Get Secrets);
* api-version is required (400 ``BadParameter``; the message text is ours), any value accepted.

Differences, on purpose: no RBAC (any valid token of the local tenant may do anything), no
scheduled purge; backups are sealed by this vault (:mod:`devstack.vault.backup`). An outage
can be rehearsed: a fault plan set on the control plane (``PUT /devstack/faults/vault``, see
:mod:`devstack.control`) strikes every Key Vault route, e.g. 503 for ``seconds``; its
counters are there too (``/devstack/stats/vault``). Names are case-insensitive as in Key
Vault; the first spelling is kept. Logs carry method, path and status only: never a value,
query or token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from devstack.asgi import EmulatorApp
from devstack.faults import FaultGate, Strike
from devstack.tokens import TokenIssuer
from devstack.vault.backup import BackupSealer, conflict
from devstack.vault.challenge import Challenge, challenge_resource, hint_undotted_host
from devstack.vault.errors import ServiceError, error_response
from devstack.vault.parsing import (
    decode_skiptoken,
    encode_skiptoken,
    json_object,
    max_results,
    properties,
)
from devstack.vault.store import (
    RECOVERABLE_DAYS,
    DeletedSecret,
    SecretVersion,
    VaultStore,
    validate_name,
)

__all__ = ["challenge_resource", "create_vault_app"]

logger = logging.getLogger("devstack.vault")

RECOVERY_LEVEL = "Recoverable+Purgeable"
_VERSION_RE = re.compile(r"^[0-9a-fA-F]{32}$")

Endpoint = Callable[[Request], Awaitable[Response]]


def create_vault_app(
    *,
    store: VaultStore,
    issuer: TokenIssuer,
    origin: str,
    resource: str | None = None,
    backups: BackupSealer | None = None,
) -> EmulatorApp:
    """The vault as a Starlette app; ``origin`` is where clients reach it (ids and links use it).

    ``resource`` defaults to :func:`challenge_resource` of the origin; ``app.state.resource``
    tells callers which audience the vault accepts. ``backups`` seals backup blobs (a key in
    memory when not given).
    """
    api = _VaultApi(store=store, issuer=issuer, origin=origin.rstrip("/"), resource=resource)
    api.backups = backups or BackupSealer()
    faults = FaultGate()
    kv = api.operation
    routes = [
        Route("/secrets", kv("list", api.list_secrets), methods=["GET"]),
        Route("/secrets/restore", kv("restore", api.restore_backup), methods=["POST"]),
        Route("/secrets/{name}/backup", kv("backup", api.backup), methods=["POST"]),
        Route("/secrets/{name}/versions", kv("list_versions", api.list_versions), methods=["GET"]),
        Route("/secrets/{name}", kv("set_secret", api.set_secret), methods=["PUT"]),
        Route("/secrets/{name}", kv("get_secret", api.get_secret), methods=["GET"]),
        Route("/secrets/{name}", kv("delete_secret", api.delete_secret), methods=["DELETE"]),
        Route("/secrets/{name}", kv("update_secret", api.update_secret), methods=["PATCH"]),
        Route("/secrets/{name}/", kv("get_secret", api.get_secret), methods=["GET"]),
        Route("/secrets/{name}/", kv("update_secret", api.update_secret), methods=["PATCH"]),
        Route("/secrets/{name}/{version}", kv("get_secret", api.get_secret), methods=["GET"]),
        Route(
            "/secrets/{name}/{version}", kv("update_secret", api.update_secret), methods=["PATCH"]
        ),
        Route("/deletedsecrets", kv("list_deleted", api.list_deleted), methods=["GET"]),
        Route("/deletedsecrets/{name}", kv("get_deleted", api.get_deleted), methods=["GET"]),
        Route("/deletedsecrets/{name}", kv("purge", api.purge), methods=["DELETE"]),
        Route("/deletedsecrets/{name}/recover", kv("recover", api.recover), methods=["POST"]),
        Route("/devstack/health", api.health, methods=["GET"]),
        Route("/devstack/secrets/{name}/backdate", api.backdate, methods=["POST"]),
    ]

    def arrived(scope: Scope, strike: Strike | None) -> None:
        if strike is not None:
            store.count("faults")

    app = EmulatorApp(
        routes=routes,
        faults=faults,
        counters=store,
        logger=logger,
        gated=lambda scope: not scope["path"].startswith("/devstack/"),
        arrived=arrived,
        exception_handlers={HTTPException: _http_error},
    )
    app.router.redirect_slashes = False  # Key Vault answers 404, it does not redirect
    app.state.resource = api.resource
    return app


class _VaultApi:
    """The route handlers; one instance per app, holding the vault's identity and store."""

    backups: BackupSealer  # set by create_vault_app

    def __init__(
        self, *, store: VaultStore, issuer: TokenIssuer, origin: str, resource: str | None
    ) -> None:
        self.store, self.origin = store, origin
        self.challenge = Challenge(issuer, resource or challenge_resource(origin))
        self.resource = self.challenge.resource

    # -- the Key Vault pipeline: authenticate, check the request, run, map errors -------------

    def operation(self, name: str, handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            refused = self.challenge.refusal(request.headers.get("authorization"))
            if refused is not None:
                self.store.count("unauthorized")
                hint_undotted_host(request.headers.get("host", ""), self.origin)
                return refused
            self.store.count(name)
            try:
                if not request.query_params.get("api-version"):
                    raise ServiceError(
                        400, "BadParameter", "The 'api-version' query parameter is missing."
                    )
                if "name" in request.path_params:
                    validate_name(request.path_params["name"])
                return await handler(request)
            except ServiceError as exc:
                return error_response(exc.status, exc.code, exc.message, inner=exc.inner)

        return endpoint

    # -- secrets ---------------------------------------------------------------------------

    async def get_secret(self, request: Request) -> Response:
        name, version = request.path_params["name"], request.path_params.get("version")
        if version is not None and not _VERSION_RE.match(version):
            raise ServiceError.not_found(name, version)
        record = self.store.get_version(name, version)
        if not record.enabled:
            raise ServiceError(
                403,
                "Forbidden",
                "Operation get is not allowed on a disabled secret.",
                inner="SecretDisabled",
            )
        return JSONResponse(self._bundle(record, with_value=True))

    async def set_secret(self, request: Request) -> Response:
        body = await json_object(request)
        value = body.get("value")
        if not isinstance(value, str):
            raise ServiceError(
                400, "BadParameter", "The secret value is required and must be a string."
            )
        props = properties(body, allow_value=True)
        version = self.store.set_secret(request.path_params["name"], value, **props)
        record = self.store.get_version(request.path_params["name"], version)
        return JSONResponse(self._bundle(record, with_value=True))

    async def update_secret(self, request: Request) -> Response:
        name, version = request.path_params["name"], request.path_params.get("version")
        if version is not None and not _VERSION_RE.match(version):
            raise ServiceError.not_found(name, version)
        changes = properties(await json_object(request), allow_value=False)
        record = self.store.update_properties(name, version, changes)
        return JSONResponse(self._bundle(record, with_value=False))

    async def list_secrets(self, request: Request) -> Response:
        items = [
            self._bundle(r, with_value=False, versioned=False) for r in self.store.list_latest()
        ]
        return self._page(request, items)

    async def list_versions(self, request: Request) -> Response:
        versions = self.store.list_versions(request.path_params["name"])
        return self._page(request, [self._bundle(r, with_value=False) for r in versions])

    async def delete_secret(self, request: Request) -> Response:
        return JSONResponse(self._deleted(self.store.delete(request.path_params["name"])))

    async def backup(self, request: Request) -> Response:
        versions = self.store.versions_of(request.path_params["name"])
        return JSONResponse({"value": self.backups.seal(versions)})

    async def restore_backup(self, request: Request) -> Response:
        versions = self.backups.open((await json_object(request)).get("value"))
        restored = self.store.restore(versions)
        if restored is None:
            latest = versions[-1]
            raise conflict(f"{self.origin}/secrets/{latest.name}/{latest.version}")
        return JSONResponse(self._bundle(restored, with_value=False))

    # -- deleted secrets -------------------------------------------------------------------

    async def get_deleted(self, request: Request) -> Response:
        return JSONResponse(self._deleted(self.store.get_deleted(request.path_params["name"])))

    async def list_deleted(self, request: Request) -> Response:
        items = [self._deleted(d, versioned=False) for d in self.store.list_deleted()]
        return self._page(request, items)

    async def recover(self, request: Request) -> Response:
        record = self.store.recover(request.path_params["name"])
        return JSONResponse(self._bundle(record, with_value=False))

    async def purge(self, request: Request) -> Response:
        self.store.purge(request.path_params["name"])
        return Response(status_code=204)

    # -- devstack control routes (no token: they exist only locally) ------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "resource": self.resource})

    async def backdate(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            days = float(request.query_params["days"])
            validate_name(name)
            expiry = request.query_params.get("expiry") == "true"
            record = self.store.backdate(name, days=days, expiry=expiry)
        except (KeyError, ValueError):
            return error_response(
                400, "BadParameter", "Pass ?days=<number> and a valid secret name."
            )
        except ServiceError as exc:
            return error_response(exc.status, exc.code, exc.message, inner=exc.inner)
        return JSONResponse(
            {
                "name": record.name,
                "version": record.version,
                "created": record.created,
                "updated": record.updated,
                "expires": record.expires_on,
            }
        )

    # -- Key Vault's JSON shapes -----------------------------------------------------------

    def _bundle(
        self, record: SecretVersion, *, with_value: bool, versioned: bool = True
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"value": record.value} if with_value else {}
        suffix = f"/{record.version}" if versioned else ""
        body["id"] = f"{self.origin}/secrets/{record.name}{suffix}"
        attributes: dict[str, Any] = {"enabled": record.enabled}
        if record.not_before is not None:
            attributes["nbf"] = record.not_before
        if record.expires_on is not None:
            attributes["exp"] = record.expires_on
        attributes.update(
            created=record.created,
            updated=record.updated,
            recoveryLevel=RECOVERY_LEVEL,
            recoverableDays=RECOVERABLE_DAYS,
        )
        body["attributes"] = attributes
        if record.content_type is not None:
            body["contentType"] = record.content_type
        if record.tags is not None:
            body["tags"] = dict(record.tags)
        return body

    def _deleted(self, deleted: DeletedSecret, *, versioned: bool = True) -> dict[str, Any]:
        return {
            "recoveryId": f"{self.origin}/deletedsecrets/{deleted.latest.name}",
            "deletedDate": deleted.deleted_date,
            "scheduledPurgeDate": deleted.scheduled_purge_date,
            **self._bundle(deleted.latest, with_value=False, versioned=versioned),
        }

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        size = max_results(request.query_params.get("maxresults"))
        start = decode_skiptoken(request.query_params.get("$skiptoken"))
        end = start + size
        next_link = None
        if end < len(items):
            token = encode_skiptoken(end)
            api_version = request.query_params["api-version"]
            next_link = (
                f"{self.origin}{request.url.path}?api-version={api_version}"
                f"&$skiptoken={token}&maxresults={size}"
            )
        return JSONResponse({"value": items[start:end], "nextLink": next_link})


# -- errors the router answers ---------------------------------------------------------------


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = "MethodNotAllowed" if status == 405 else "NotFound" if status == 404 else "BadRequest"
    return error_response(
        status, code, f"{request.method} {request.url.path} is not supported here."
    )
