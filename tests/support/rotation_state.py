"""A rotation state blob held in memory: as much of ``ContainerClient`` as ``StateStore`` uses
(get a blob client; download, read, upload), so the state's schema and the rotation's record
of a failure are tested through the real ``StateStore``."""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

#: The secret whose state the blob holds.
SECRET = "partner-api-key"


class FakeBlob:
    def __init__(self, body: bytes | None = None) -> None:
        self.body = body

    def download_blob(self) -> FakeBlob:
        if self.body is None:
            raise ResourceNotFoundError("BlobNotFound")
        return self

    def readall(self) -> bytes:
        assert self.body is not None
        return self.body

    def upload_blob(self, body: bytes, **_: Any) -> None:
        self.body = body


class FakeContainer:
    """One blob per name, as much of ``ContainerClient`` as the state store uses."""

    def __init__(self, document: object = None) -> None:
        self.blob = FakeBlob(None if document is None else json.dumps(document).encode())

    def get_blob_client(self, name: str) -> FakeBlob:
        assert name == f"{SECRET}.json"
        return self.blob

    @property
    def document(self) -> Any:
        assert self.blob.body is not None
        return json.loads(self.blob.body)
