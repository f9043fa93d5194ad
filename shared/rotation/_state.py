"""What the rotation remembers, for the posture checker and the people reading it.

One JSON blob per secret (``<secret>.json`` in the rotation's container): when the key
was last rotated and by what, which partner key id and vault version that made, when the
next rotation is due, and the last failure (its time and kind). Names, ids, versions and
times only: the key itself lives in the vault alone. Written under the rotation's lease;
read without one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient


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
        if not isinstance(document, dict):
            return cls(secret)
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in document.items() if k in known}
        values["secret"] = secret
        return cls(**values)


class StateStore:
    """The state blob of one secret in the rotation's container."""

    def __init__(self, container: ContainerClient, secret_name: str) -> None:
        self._secret = secret_name
        self._blob = container.get_blob_client(f"{secret_name}.json")

    def read(self) -> RotationState:
        try:
            raw = self._blob.download_blob().readall()
        except ResourceNotFoundError:
            return RotationState(self._secret)
        try:
            return RotationState.from_json(self._secret, json.loads(raw))
        except (ValueError, TypeError):
            return RotationState(self._secret)  # unreadable: start over, nothing depends on it

    def write(self, state: RotationState) -> None:
        body = json.dumps(asdict(state), indent=1, sort_keys=True).encode()
        self._blob.upload_blob(body, overwrite=True, content_type="application/json")
