"""The migrate fixtures (bench/migrate_fixtures.py) with secrets of the documented shapes.

The tests materialise every fixture with tests/support/secret_shapes.py's generators, so a
storage key placeholder becomes a value shared/redaction/shapes.py recognises as a storage key,
and the leak canary knows exactly which values the tool was given.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from bench.migrate_fixtures import (
    FIXTURES,
    Expected,
    Materialized,
    expected_findings,
    line_of,
    names,
)
from bench.migrate_fixtures import materialize as _materialize
from migrate.tree import MAX_BYTES
from tests.support import secret_shapes

__all__ = [
    "FIXTURES",
    "SHAPES",
    "Expected",
    "Materialized",
    "expected_findings",
    "line_of",
    "materialize",
    "names",
]


def cognitive_services_key(rng: random.Random) -> str:
    """Azure AI services (Cognitive Services) key: 32 lowercase hexadecimal characters."""
    return f"{rng.getrandbits(128):032x}"


#: Shape name -> a generator of one value of that shape.
SHAPES: dict[str, Callable[[random.Random], str]] = {
    "storage-account-key": secret_shapes.storage_account_key,
    "cosmos-key": secret_shapes.storage_account_key,  # legacy Cosmos DB keys: 64 bytes, base64
    "cognitive-key": cognitive_services_key,
    # an app registration secret of the older format: 32 random bytes in base64, 44 characters
    "legacy-client-secret": secret_shapes.messaging_key,
    "entra-client-secret": secret_shapes.entra_client_secret,
    "service-bus-key": secret_shapes.messaging_key,
}


def materialize(name: str, dest: Path, *, seed: int = 0) -> Materialized:
    return _materialize(name, dest, fill=lambda shape, rng: SHAPES[shape](rng), seed=seed)


def bad_tree(root: Path, outside: Path) -> None:
    """One app with every kind of bad input beside a file the scan must still read."""
    (root / "blueprints").mkdir(parents=True)
    (root / "function_app.py").write_text(
        "import os\nfrom azure.storage.blob import BlobServiceClient\n"
        "client = BlobServiceClient.from_connection_string(os.environ['STORE'])\n"
    )
    (root / "blueprints" / "broken.py").write_text("def broken(:\n    pass\n")
    (root / "main.bicep").write_text(
        "resource x 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'a\n"
    )
    (root / "local.settings.json").write_text('{"Values": {"A": "b",, }')
    (root / "big.py").write_text("x = 1\n" * (MAX_BYTES // 6 + 10))
    (root / "binary.py").write_bytes(b"\x00\x01\x02" * 100)
    (root / "latin1.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    outside.mkdir()
    (outside / "secret.py").write_text("import os\nos.environ['CLIENT_SECRET']\n")
    (root / "linked.py").symlink_to(outside / "secret.py")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
