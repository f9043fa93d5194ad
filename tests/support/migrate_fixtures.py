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
