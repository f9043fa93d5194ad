"""Session fixtures: the real devstack, started once on free ports, stopped after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.devstack import RunningStack, start_stack, stop_process


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("devstack"))
    try:
        yield running
    finally:
        stop_process(running.process)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
