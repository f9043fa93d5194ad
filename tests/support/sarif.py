"""The SARIF 2.1.0 JSON schema every SARIF writer of the project is held to.

The schema is the OASIS committee's ``sarif-2.1.0-rtm.5.json`` as the pinned npm package
``@microsoft/jest-sarif`` ships it (package.json; ``make setup`` installs it into
``node_modules/``), so no copy of it lives in the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = (
    ROOT
    / "node_modules"
    / "@microsoft"
    / "jest-sarif"
    / "lib"
    / "schemas"
    / "sarif-2.1.0-rtm.5.json"
)


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    """A validator for SARIF 2.1.0; fails with the fix when the package is not installed."""
    if not SCHEMA_PATH.exists():
        raise AssertionError(f"{SCHEMA_PATH} is missing: run `make setup` (npm ci installs it)")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)
