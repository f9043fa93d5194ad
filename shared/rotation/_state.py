"""What the rotation remembers, for the posture checker and the people reading it.

One JSON blob per secret (``<secret>.json`` in the rotation's container): when the key
was last rotated and by what, which partner key id and vault version that made, when the
next rotation is due, and the last failure (its time and kind). Names, ids, versions and
times only: the key itself lives in the vault alone. Written under the rotation's lease;
read without one.

The blob is read back through :data:`SCHEMA`, field by field: anyone with write access to
the container (or a bug, or a half-written upload) could leave ``"unconfirmed_keys": 5``
there, and a value of the wrong type would otherwise fail the rotation somewhere deep
inside with a ``TypeError`` that nobody records. A blob outside the schema raises
:class:`~shared.rotation.errors.StateDamagedError` naming the field; the rotation records
that as its failure (in a state rebuilt from the fields that were valid: :meth:`StateStore.
salvage`), and the posture checker reports it (:meth:`StateStore.read_for_report`). Fields
the schema does not know are ignored, so a state written by a later version still reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from azure.core.exceptions import ResourceNotFoundError

from shared.rotation.errors import StateDamagedError

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

#: The longest text any field holds (a failure's description is the longest: a class name
#: and a short message of the app's own).
MAX_TEXT: Final = 1024
#: More unconfirmed keys than this is not something one rotation a day could leave.
MAX_UNCONFIRMED: Final = 100


def _text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _time(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 64:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31


def _key_ids(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= MAX_UNCONFIRMED
        and all(isinstance(v, str) and 0 < len(v) <= 256 for v in value)
    )


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: value is None or check(value)


#: Every stored field: what it must be, and how that is said in an error.
SCHEMA: Final[dict[str, tuple[Callable[[object], bool], str]]] = {
    "last_rotation_at": (_optional(_time), "an ISO 8601 time or null"),
    "last_rotated_by": (_optional(_text), "text or null"),
    "last_version": (_optional(_text), "text or null"),
    "last_key_id": (_optional(_text), "text or null"),
    "next_due": (_optional(_time), "an ISO 8601 time or null"),
    "last_checked_at": (_optional(_time), "an ISO 8601 time or null"),
    "last_failure_at": (_optional(_time), "an ISO 8601 time or null"),
    "last_failure": (_optional(_text), "text or null"),
    "failures_since_rotation": (_count, "a whole number, 0 or more"),
    "unconfirmed_keys": (_key_ids, f"a list of at most {MAX_UNCONFIRMED} partner key ids"),
}


@dataclass
class RotationState:
    secret: str
    last_rotation_at: str | None = None
    last_rotated_by: str | None = None
    last_version: str | None = None
    last_key_id: str | None = None
    next_due: str | None = None
    last_checked_at: str | None = None
    last_failure_at: str | None = None
    last_failure: str | None = None
    failures_since_rotation: int = 0
    unconfirmed_keys: list[str] = field(default_factory=list)  # partner key ids

    @property
    def failing(self) -> bool:
        """The last attempt failed and no rotation has succeeded since."""
        return self.failures_since_rotation > 0

    @classmethod
    def from_json(cls, secret: str, document: object) -> RotationState:
        """The state ``document`` holds, every field checked against :data:`SCHEMA`.

        :raises StateDamagedError: not a JSON object, or a field outside the schema.
        """
        if not isinstance(document, dict):
            raise StateDamagedError(f"the rotation state of {secret!r} is not a JSON object")
        for name, (check, expected) in SCHEMA.items():
            if name in document and not check(document[name]):
                raise StateDamagedError(
                    f"the rotation state of {secret!r} is damaged: {name!r} is not {expected}"
                )
        return cls.salvaged(secret, document)

    @classmethod
    def salvaged(cls, secret: str, document: object) -> RotationState:
        """The fields of ``document`` that fit the schema; the others at their defaults."""
        values: dict[str, Any] = {}
        if isinstance(document, dict):
            values = {
                name: document[name]
                for name, (check, _) in SCHEMA.items()
                if name in document and check(document[name])
            }
        return cls(secret, **values)


class StateStore:
    """The state blob of one secret in the rotation's container."""

    def __init__(self, container: ContainerClient, secret_name: str) -> None:
        self._secret = secret_name
        self._blob = container.get_blob_client(f"{secret_name}.json")

    def read(self) -> RotationState:
        """The stored state (a fresh one when there is none).

        :raises StateDamagedError: the blob is not JSON or not what the rotation writes.
        """
        document = self._document()
        if document is None:
            return RotationState(self._secret)
        if isinstance(document, StateDamagedError):
            raise document
        return RotationState.from_json(self._secret, document)

    def salvage(self) -> RotationState:
        """The stored state's valid fields, whatever else is wrong with it: what a failure
        is recorded on when the state itself is the failure."""
        document = self._document()
        return RotationState.salvaged(self._secret, document)

    def read_for_report(self, *, now: datetime) -> RotationState:
        """The state as a report should show it: a damaged blob is a failing rotation, at
        ``now`` if it says no other time, with the damage as its last failure."""
        try:
            return self.read()
        except StateDamagedError as damage:
            state = self.salvage()
            state.last_failure = f"{type(damage).__name__}: {damage}"
            state.last_failure_at = state.last_failure_at or now.isoformat()
            state.failures_since_rotation = max(1, state.failures_since_rotation)
            return state

    def write(self, state: RotationState) -> None:
        body = json.dumps(asdict(state), indent=1, sort_keys=True).encode()
        self._blob.upload_blob(body, overwrite=True, content_type="application/json")

    def _document(self) -> object:
        """The parsed blob; None when there is none; the error when it is not JSON."""
        try:
            raw = self._blob.download_blob().readall()
        except ResourceNotFoundError:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            return StateDamagedError(f"the rotation state of {self._secret!r} is not JSON")
