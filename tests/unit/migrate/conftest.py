"""Fixtures of the migrate tests: the re-created public apps, materialised once per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import migrate_fixtures
from tests.support.migrate_fixtures import Materialized


@pytest.fixture(params=migrate_fixtures.names())
def fixture_app(request: pytest.FixtureRequest, tmp_path: Path) -> Materialized:
    """Each public app of tests/fixtures/migrate/, with generated secrets in place."""
    return migrate_fixtures.materialize(request.param, tmp_path / request.param)
