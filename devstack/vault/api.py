"""The devstack's Key Vault: the secrets REST subset, so the real ``SecretClient`` works unchanged.

The app builds ``SecretClient(vault_url, DefaultAzureCredential())`` with the SDK's defaults;
this vault answers it the way Key Vault does, so the code under test is the code that ships.

Authentication follows Key Vault's challenge protocol. A request without a bearer token gets
401 with ``WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}",
resource="{resource}"``; the SDK then asks its credential for ``{resource}/.default``. With the
default ``verify_challenge_resource=True`` the SDK accepts the challenge only when the vault's
host *ends with* ``"." + resource host`` (equality is refused), as ``myvault.vault.azure.net``
ends with ``.vault.azure.net``. The resource is therefore the origin's parent domain, port kept:
``https://127.0.0.1:7073`` -> ``https://0.0.1:7073`` (see :func:`challenge_resource`). Tokens
must carry exactly that audience: Key Vault refuses any other, even with a trailing slash.

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
scheduled purge, no backup/restore. An outage can be rehearsed: ``PUT /devstack/faults`` (see
:mod:`devstack.faults`) strikes every Key Vault route, e.g. 503 for ``seconds``.
Names are case-insensitive as in Key Vault; the first spelling is kept. Logs carry method,
path and status only: never a value, query or token.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from devstack.asgi import EmulatorApp
from devstack.faults import FaultGate, Strike
from devstack.files import write_private
from devstack.tokens import InvalidTokenError, TokenIssuer

__all__ = ["VaultError", "VaultStore", "challenge_resource", "create_vault_app"]

logger = logging.getLogger("devstack.vault")

MAX_PAGE_SIZE = 25
RECOVERY_LEVEL = "Recoverable+Purgeable"
RECOVERABLE_DAYS = 90
MAX_VALUE_BYTES = 25 * 1024
MAX_TAGS = 15
OPERATIONS = (
    "get_secret",
    "set_secret",
    "update_secret",
    "list",
    "list_versions",
    "delete_secret",
    "get_deleted",
    "list_deleted",
    "recover",
    "purge",
)
_NAME_RE = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
_NOT_FOUND_HELP = (
    "If you recently deleted this secret you may be able to recover it using the correct "
    "recovery command. For help resolving this issue, please see "
    "https://go.microsoft.com/fwlink/?linkid=2125182"
)
_LOGIN = "https://login.microsoftonline.com"
_NO_BEARER = "Request is missing a Bearer or PoP token."
_EXPIRED = "[TokenExpired] Error validating token: 'S2S12086'."
_VERSION_RE = re.compile(r"^[0-9a-fA-F]{32}$")

Endpoint = Callable[[Request], Awaitable[Response]]


# -- the store ------------------------------------------------------------------------------


class VaultError(Exception):
    """A Key Vault error: HTTP status, Key Vault's code, a message naming no value."""

    def __init__(self, status: int, code: str, message: str, *, inner: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.inner = status, code, message, inner

    @classmethod
    def not_found(cls, name: str, version: str | None = None) -> VaultError:
        ident = f"{name}/{version}" if version else name
        return cls(
            404,
            "SecretNotFound",
            f"A secret with (name/id) {ident} was not found in this key vault. {_NOT_FOUND_HELP}",
        )

    @classmethod
    def deleted_not_found(cls, name: str) -> VaultError:
        return cls(404, "SecretNotFound", f"Deleted Secret not found: {name}")


def validate_name(name: str) -> None:
    """Key Vault's rule: 1-127 characters, letters, digits and dashes."""
    if not _NAME_RE.match(name):
        raise VaultError(
            400,
            "BadParameter",
            "Secret names must be 1-127 characters of letters, digits and dashes.",
        )


@dataclass(frozen=True, slots=True)
class SecretVersion:
    """One version of a secret, as stored; ``value`` never appears in ``repr``."""

    name: str
    version: str
    value: str = field(repr=False)
    enabled: bool
    not_before: int | None
    expires_on: int | None
    created: int
    updated: int
    content_type: str | None
    tags: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class DeletedSecret:
    latest: SecretVersion
    deleted_date: int
    scheduled_purge_date: int


@dataclass(slots=True)
class _Entry:
    name: str
    versions: list[SecretVersion]
    deleted: tuple[int, int] | None = None  # (deletedDate, scheduledPurgeDate)


_UPDATABLE = frozenset({"enabled", "not_before", "expires_on", "content_type", "tags"})


class VaultStore:
    """The vault's secrets: versions, attributes, soft delete; thread-safe, optionally on disk.

    With a ``path`` every change is written atomically (temp file, fsync, rename) as JSON with
    mode 0600 and loaded again on start, so a devstack restart keeps its secrets.
    """

    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._path, self._clock = path, clock
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._stats: Counter[str] = Counter()
        if path is not None and path.exists():
            self._load(path)

    # -- used by the rest of the devstack ------------------------------------------------

    def set_secret(
        self,
        name: str,
        value: str,
        *,
        enabled: bool = True,
        expires_on: datetime | int | None = None,
        not_before: datetime | int | None = None,
        content_type: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Add a new version (the latest); return its 32-hex version id."""
        validate_name(name)
        _check_value(value)
        _check_properties(content_type, tags)
        now = self._now()
        with self._lock:
            entry = self._entries.get(name.lower())
            if entry is not None and entry.deleted is not None:
                raise VaultError(
                    409,
                    "Conflict",
                    f"Secret {entry.name} is currently in a deleted but recoverable state, and "
                    "its name cannot be reused; in this state, the secret can only be recovered "
                    "or purged.",
                    inner="ObjectIsDeletedButRecoverable",
                )
            if entry is None:
                entry = self._entries[name.lower()] = _Entry(name=name, versions=[])
            record = SecretVersion(
                name=entry.name,
                version=uuid.uuid4().hex,
                value=value,
                enabled=enabled,
                not_before=_epoch(not_before),
                expires_on=_epoch(expires_on),
                created=now,
                updated=now,
                content_type=content_type,
                tags=dict(tags) if tags is not None else None,
            )
            entry.versions.append(record)
            self._save()
            return record.version

    def current_value(self, name: str) -> str | None:
        """The latest version's value if the secret exists, is not deleted and is enabled."""
        with self._lock:
            entry = self._entries.get(name.lower())
            if entry is None or entry.deleted is not None or not entry.versions[-1].enabled:
                return None
            return entry.versions[-1].value

    def backdate(self, name: str, *, days: float) -> SecretVersion:
        """Move the latest version's created/updated back by ``days`` (posture tests: "stale")."""
        shift = round(days * 86400)
        with self._lock:
            entry = self._active(name)
            latest = entry.versions[-1]
            moved = replace(latest, created=latest.created - shift, updated=latest.updated - shift)
            entry.versions[-1] = moved
            self._save()
            return moved

    def count(self, operation: str) -> None:
        """Count one request for ``operation`` (the HTTP layer calls this, not direct use)."""
        with self._lock:
            self._stats[operation] += 1

    def stats(self) -> dict[str, int]:
        """Requests per operation, ``unauthorized`` (401s), ``faults`` (injected) and ``total``
        (authorized requests)."""
        with self._lock:
            counts = {op: self._stats[op] for op in OPERATIONS}
            counts["unauthorized"] = self._stats["unauthorized"]
            counts["faults"] = self._stats["faults"]
            counts["total"] = sum(self._stats[op] for op in OPERATIONS)
            return counts

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()

    # -- the operations behind the REST routes -------------------------------------------

    def get_version(self, name: str, version: str | None = None) -> SecretVersion:
        """The latest version, or the named one; disabled versions are returned too."""
        with self._lock:
            entry = self._active(name, version)
            if version is None:
                return entry.versions[-1]
            for record in entry.versions:
                if record.version == version.lower():
                    return record
            raise VaultError.not_found(name, version)

    def update_properties(
        self, name: str, version: str | None, changes: Mapping[str, Any]
    ) -> SecretVersion:
        """Change the given properties of one version (latest if ``version`` is None)."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        _check_properties(changes.get("content_type"), changes.get("tags"))
        normalized = dict(changes)
        for stamp in ("not_before", "expires_on"):
            if stamp in normalized:
                normalized[stamp] = _epoch(normalized[stamp])
        if normalized.get("tags") is not None:
            normalized["tags"] = dict(normalized["tags"])
        with self._lock:
            current = self.get_version(name, version)
            entry = self._entries[name.lower()]
            updated = replace(current, **normalized, updated=self._now())
            entry.versions[entry.versions.index(current)] = updated
            self._save()
            return updated

    def list_latest(self) -> list[SecretVersion]:
        with self._lock:
            active = [e for e in self._entries.values() if e.deleted is None]
            return [e.versions[-1] for e in sorted(active, key=lambda e: e.name.lower())]

    def list_versions(self, name: str) -> list[SecretVersion]:
        with self._lock:
            return list(self._active(name).versions)

    def delete(self, name: str) -> DeletedSecret:
        now = self._now()
        with self._lock:
            entry = self._active(name)
            entry.deleted = (now, now + RECOVERABLE_DAYS * 86400)
            self._save()
            return DeletedSecret(entry.versions[-1], *entry.deleted)

    def get_deleted(self, name: str) -> DeletedSecret:
        with self._lock:
            entry, (deleted_date, purge_date) = self._deleted(name)
            return DeletedSecret(entry.versions[-1], deleted_date, purge_date)

    def list_deleted(self) -> list[DeletedSecret]:
        with self._lock:
            deleted = sorted(
                (e for e in self._entries.values() if e.deleted is not None),
                key=lambda e: e.name.lower(),
            )
            return [DeletedSecret(e.versions[-1], *e.deleted) for e in deleted if e.deleted]

    def recover(self, name: str) -> SecretVersion:
        with self._lock:
            entry, _ = self._deleted(name)
            entry.deleted = None
            self._save()
            return entry.versions[-1]

    def purge(self, name: str) -> None:
        with self._lock:
            del self._entries[self._deleted(name)[0].name.lower()]
            self._save()

    # -- internals -----------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _active(self, name: str, version: str | None = None) -> _Entry:
        entry = self._entries.get(name.lower())
        if entry is None or entry.deleted is not None:
            raise VaultError.not_found(name, version)
        return entry

    def _deleted(self, name: str) -> tuple[_Entry, tuple[int, int]]:
        entry = self._entries.get(name.lower())
        if entry is None or entry.deleted is None:
            raise VaultError.deleted_not_found(name)
        return entry, entry.deleted

    def _save(self) -> None:
        if self._path is None:
            return
        document = {
            "format": 1,
            "secrets": [
                {
                    "name": e.name,
                    "deleted": list(e.deleted) if e.deleted else None,
                    "versions": [asdict(v) for v in e.versions],
                }
                for e in self._entries.values()
            ],
        }
        write_private(self._path, json.dumps(document, indent=1).encode())

    def _load(self, path: Path) -> None:
        try:
            document = json.loads(path.read_bytes())
            for item in document["secrets"]:
                deleted = item["deleted"]
                entry = _Entry(
                    name=item["name"],
                    versions=[SecretVersion(**v) for v in item["versions"]],
                    deleted=(int(deleted[0]), int(deleted[1])) if deleted else None,
                )
                if not entry.versions:
                    raise ValueError("a secret without versions")
                self._entries[entry.name.lower()] = entry
        except (ValueError, KeyError, TypeError) as exc:
            # The message names the file and the fault, never the content.
            raise ValueError(
                f"vault state file {path} is unreadable ({type(exc).__name__})"
            ) from None


def _epoch(stamp: datetime | int | None) -> int | None:
    if stamp is None or isinstance(stamp, int):
        return stamp
    return int(stamp.timestamp())


def _check_value(value: str) -> None:
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise VaultError(
            400, "BadParameter", f"Secret values are limited to {MAX_VALUE_BYTES} bytes."
        )


def _check_properties(content_type: object, tags: object) -> None:
    if content_type is not None and (not isinstance(content_type, str) or len(content_type) > 255):
        raise VaultError(400, "BadParameter", "contentType must be a string of at most 255 chars.")
    if tags is None:
        return
    if not isinstance(tags, Mapping) or len(tags) > MAX_TAGS:
        raise VaultError(400, "BadParameter", f"tags must be an object of at most {MAX_TAGS}.")
    pairs: Iterable[tuple[object, object]] = tags.items()
    for key, value in pairs:
        if (
            not (isinstance(key, str) and isinstance(value, str))
            or len(key) > 512
            or len(value) > 512
        ):
            raise VaultError(400, "BadParameter", "tag names and values are strings of <= 512.")


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


def create_vault_app(
    *, store: VaultStore, issuer: TokenIssuer, origin: str, resource: str | None = None
) -> Starlette:
    """The vault as a Starlette app; ``origin`` is where clients reach it (ids and links use it).

    ``resource`` defaults to :func:`challenge_resource` of the origin; ``app.state.resource``
    tells callers which audience the vault accepts.
    """
    api = _VaultApi(store=store, issuer=issuer, origin=origin.rstrip("/"), resource=resource)
    faults = FaultGate()
    kv = api.operation
    routes = [
        Route("/secrets", kv("list", api.list_secrets), methods=["GET"]),
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
        Route("/devstack/stats", api.stats, methods=["GET", "DELETE"]),
        Route("/devstack/secrets/{name}/backdate", api.backdate, methods=["POST"]),
        Route("/devstack/faults", faults.endpoint, methods=["GET", "PUT", "DELETE"]),
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

    def __init__(
        self, *, store: VaultStore, issuer: TokenIssuer, origin: str, resource: str | None
    ) -> None:
        self.store, self.issuer, self.origin = store, issuer, origin
        self.resource = resource or challenge_resource(origin)
        self.challenge = (
            f'Bearer authorization="{_LOGIN}/{issuer.tenant_id}", resource="{self.resource}"'
        )

    # -- the Key Vault pipeline: authenticate, check the request, run, map errors -------------

    def operation(self, name: str, handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            refused = self._authenticate(request)
            if refused is not None:
                self.store.count("unauthorized")
                return refused
            self.store.count(name)
            try:
                if not request.query_params.get("api-version"):
                    raise VaultError(
                        400, "BadParameter", "The 'api-version' query parameter is missing."
                    )
                if "name" in request.path_params:
                    validate_name(request.path_params["name"])
                return await handler(request)
            except VaultError as exc:
                return _error(exc.status, exc.code, exc.message, inner=exc.inner)

        return endpoint

    def _authenticate(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
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
        return _error(401, "Unauthorized", message, headers={"WWW-Authenticate": self.challenge})

    # -- secrets ---------------------------------------------------------------------------

    async def get_secret(self, request: Request) -> Response:
        name, version = request.path_params["name"], request.path_params.get("version")
        if version is not None and not _VERSION_RE.match(version):
            raise VaultError.not_found(name, version)
        record = self.store.get_version(name, version)
        if not record.enabled:
            raise VaultError(
                403,
                "Forbidden",
                "Operation get is not allowed on a disabled secret.",
                inner="SecretDisabled",
            )
        return JSONResponse(self._bundle(record, with_value=True))

    async def set_secret(self, request: Request) -> Response:
        body = await _json_object(request)
        value = body.get("value")
        if not isinstance(value, str):
            raise VaultError(
                400, "BadParameter", "The secret value is required and must be a string."
            )
        props = _properties(body, allow_value=True)
        version = self.store.set_secret(request.path_params["name"], value, **props)
        record = self.store.get_version(request.path_params["name"], version)
        return JSONResponse(self._bundle(record, with_value=True))

    async def update_secret(self, request: Request) -> Response:
        name, version = request.path_params["name"], request.path_params.get("version")
        if version is not None and not _VERSION_RE.match(version):
            raise VaultError.not_found(name, version)
        changes = _properties(await _json_object(request), allow_value=False)
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

    async def stats(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.store.reset_stats()
            return Response(status_code=204)
        return JSONResponse(self.store.stats())

    async def backdate(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            days = float(request.query_params["days"])
            validate_name(name)
            record = self.store.backdate(name, days=days)
        except (KeyError, ValueError):
            return _error(400, "BadParameter", "Pass ?days=<number> and a valid secret name.")
        except VaultError as exc:
            return _error(exc.status, exc.code, exc.message, inner=exc.inner)
        return JSONResponse(
            {
                "name": record.name,
                "version": record.version,
                "created": record.created,
                "updated": record.updated,
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
        size = _max_results(request.query_params.get("maxresults"))
        start = _decode_skiptoken(request.query_params.get("$skiptoken"))
        end = start + size
        next_link = None
        if end < len(items):
            token = base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode()
            api_version = request.query_params["api-version"]
            next_link = (
                f"{self.origin}{request.url.path}?api-version={api_version}"
                f"&$skiptoken={token.rstrip('=')}&maxresults={size}"
            )
        return JSONResponse({"value": items[start:end], "nextLink": next_link})


# -- request parsing -------------------------------------------------------------------------


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise VaultError(400, "BadParameter", "The request body must be a JSON object.")
    return body


def _properties(body: dict[str, Any], *, allow_value: bool) -> dict[str, Any]:
    """Translate Key Vault's JSON properties into store keywords; present keys only."""
    props: dict[str, Any] = {}
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise VaultError(400, "BadParameter", "attributes must be a JSON object.")
    if "enabled" in attributes:
        if not isinstance(attributes["enabled"], bool):
            raise VaultError(400, "BadParameter", "attributes.enabled must be a boolean.")
        props["enabled"] = attributes["enabled"]
    for wire, keyword in (("nbf", "not_before"), ("exp", "expires_on")):
        if wire in attributes:
            stamp = attributes[wire]
            if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int)):
                raise VaultError(400, "BadParameter", f"attributes.{wire} must be epoch seconds.")
            props[keyword] = stamp
    if "contentType" in body:
        props["content_type"] = body["contentType"]
    if "tags" in body:
        props["tags"] = body["tags"]
    if not allow_value and "value" in body:
        raise VaultError(400, "BadParameter", "A secret's value cannot be changed by an update.")
    return props


def _max_results(raw: str | None) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise VaultError(
            400, "BadParameter", f"maxresults must be an integer from 1 to {MAX_PAGE_SIZE}."
        )
    return size


def _decode_skiptoken(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        offset = decoded["offset"]
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, binascii.Error, KeyError, TypeError):
        pass
    raise VaultError(400, "BadParameter", "The $skiptoken is not valid.")


# -- responses and logging -----------------------------------------------------------------


def _error(
    status: int,
    code: str,
    message: str,
    *,
    inner: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner is not None:
        error["innererror"] = {"code": inner}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = "MethodNotAllowed" if status == 405 else "NotFound" if status == 404 else "BadRequest"
    return _error(status, code, f"{request.method} {request.url.path} is not supported here.")
