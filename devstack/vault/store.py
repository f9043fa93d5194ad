"""The emulated Key Vault's secrets: versions, attributes, soft delete, request counters.

Thread-safe and optionally on disk. The routes (:mod:`devstack.vault.api`) translate
Key Vault's JSON into calls here; the rest of the devstack uses it directly (the stack
seeds the partner key, posture tests backdate a secret).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from devstack.files import write_private
from devstack.vault.errors import ServiceError

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
    "backup",
    "restore",
)
_NAME_RE = re.compile(r"^[0-9a-zA-Z-]{1,127}$")


def validate_name(name: str) -> None:
    """Key Vault's rule: 1-127 characters, letters, digits and dashes."""
    if not _NAME_RE.match(name):
        raise ServiceError(
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
                raise ServiceError(
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

    def backdate(self, name: str, *, days: float, expiry: bool = False) -> SecretVersion:
        """Move the latest version's created/updated back by ``days`` (posture tests: "stale");
        with ``expiry``, its expiry too, so it comes near expiry (rotation rehearsals)."""
        shift = round(days * 86400)
        with self._lock:
            entry = self._active(name)
            latest = entry.versions[-1]
            moved = replace(latest, created=latest.created - shift, updated=latest.updated - shift)
            if expiry and moved.expires_on is not None:
                moved = replace(moved, expires_on=moved.expires_on - shift)
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
            raise ServiceError.not_found(name, version)

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

    def versions_of(self, name: str) -> list[SecretVersion]:
        """Every version of an active secret, oldest first, values included (for a backup)."""
        with self._lock:
            return list(self._active(name).versions)

    def restore(self, versions: list[SecretVersion]) -> SecretVersion | None:
        """Bring back a backed-up secret, all versions unchanged; None if its name is in use
        (active or soft-deleted: Key Vault refuses the restore then)."""
        name = versions[-1].name
        validate_name(name)
        with self._lock:
            if name.lower() in self._entries:
                return None
            self._entries[name.lower()] = _Entry(name=name, versions=list(versions))
            self._save()
            return versions[-1]

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
            raise ServiceError.not_found(name, version)
        return entry

    def _deleted(self, name: str) -> tuple[_Entry, tuple[int, int]]:
        entry = self._entries.get(name.lower())
        if entry is None or entry.deleted is None:
            raise ServiceError.deleted_not_found(name)
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
        raise ServiceError(
            400, "BadParameter", f"Secret values are limited to {MAX_VALUE_BYTES} bytes."
        )


def _check_properties(content_type: object, tags: object) -> None:
    if content_type is not None and (not isinstance(content_type, str) or len(content_type) > 255):
        raise ServiceError(
            400, "BadParameter", "contentType must be a string of at most 255 chars."
        )
    if tags is None:
        return
    if not isinstance(tags, Mapping) or len(tags) > MAX_TAGS:
        raise ServiceError(400, "BadParameter", f"tags must be an object of at most {MAX_TAGS}.")
    pairs: Iterable[tuple[object, object]] = tags.items()
    for key, value in pairs:
        if (
            not (isinstance(key, str) and isinstance(value, str))
            or len(key) > 512
            or len(value) > 512
        ):
            raise ServiceError(400, "BadParameter", "tag names and values are strings of <= 512.")
