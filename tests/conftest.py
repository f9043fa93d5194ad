"""Session fixtures: the real devstack, started once on free ports, stopped after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.runner import RunningStack, running_stack
from devstack.tokens import DEFAULT_APP_AUDIENCE
from tests.support.canary import AUDIENCE_MARKER


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(
        tmp_path_factory.mktemp("devstack"), audience=f"{DEFAULT_APP_AUDIENCE}/{AUDIENCE_MARKER}"
    ) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
