"""Files only their owner may read: the stack's keys, the vault's store, its endpoints.

One writer for all of them: the data goes to a temporary file created with mode 0600 in
the target's directory, is flushed to disk, and replaces the target in one rename. A
reader never sees half a file, and no other user can read it at any moment, not even
while it is being written.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_private_json(path: Path, document: Any) -> None:
    """``document`` as indented JSON, written as :func:`write_private` writes."""
    write_private(path, json.dumps(document, indent=2).encode("utf-8"))
