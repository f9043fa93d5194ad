"""One local ARM/Graph/Logs stub over TLS for the rule tests that replay recordings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cloud import StubCloud, stub_cloud


@pytest.fixture(scope="session")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubCloud]:
    with stub_cloud(tmp_path_factory.mktemp("stub-cloud")) as cloud:
        yield cloud
