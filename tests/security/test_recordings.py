"""No recorded response body holds anything shaped like a secret.

The recordings in tests/support/recordings/ are the services' answers with every id
replaced by a synthetic one; a real answer can carry keys, SAS URLs, client secrets or
tokens (a deployment output, a log line, a credential's ``secretText``), so every string
in every recording is run through the same detectors the app and the checker use
(shared/redaction/shapes.py), and every key through a list of the fields that carry secret
material in Graph and ARM answers. Each check is first shown to fail on a positive
planted in a copy.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.redaction.shapes import scan
from tests.support import recordings
from tests.support import secret_shapes as ss

#: Fields that hold secret material when set (Graph passwordCredential.secretText and hint,
#: keyCredential.key, ARM listKeys' value, a SAS or connection string by name).
SECRET_FIELDS = frozenset({"secretText", "hint", "key", "value1", "primaryKey", "secondaryKey",
                           "connectionString", "sasToken", "password"})  # fmt: skip
FILES = sorted(recordings.FOLDER.glob("*.json"))


def strings(tree: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every leaf, keys included as strings."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            here = f"{path}/{key}"
            yield here, str(key), value
            yield from strings(value, here)
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield f"{path}/{i}", "", value
            yield from strings(value, f"{path}/{i}")


def findings(document: Any) -> list[str]:
    found = []
    for where, key, value in strings(document):
        texts = [key] + ([value] if isinstance(value, str) else [])
        for text in texts:
            found += [f"{where}: {hit.kind}" for hit in scan(text) if hit.is_secret]
        if key in SECRET_FIELDS and value:
            found.append(f"{where}: secret field set")
    return found


def test_there_are_recordings_to_scan() -> None:
    assert {p.stem for p in FILES} >= {"appservice", "access", "auditing", "exposure", "tenant"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_recording_holds_a_secret_shape(path: Path) -> None:
    assert findings(json.loads(path.read_text(encoding="utf-8"))) == []


def test_the_scan_finds_a_planted_secret_in_a_value_and_a_set_secret_field() -> None:
    recording = recordings.load("auditing")
    rng = random.Random("recordings")
    query = next(k for k in recording["responses"] if k.startswith("POST"))
    planted = recordings.derive(
        recording, ["responses", query, "tables", 0, "rows", 0, 4], ss.sas_url_planted(rng).text
    )
    assert any("rows/0/4" in f for f in findings(planted))
    tenant = recordings.load("tenant")
    cred = ["graph_collections", "applications", 2, "keyCredentials", 0, "key"]
    assert findings(recordings.derive(tenant, cred, "not-empty")) == [
        "/graph_collections/applications/2/keyCredentials/0/key: secret field set"
    ]
