"""Session fixtures: the real devstack, started once on free ports, searched for leaks, stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.runner import RunningStack, running_stack
from devstack.tokens import DEFAULT_APP_AUDIENCE
from tests.support.canary import AUDIENCE_MARKER, assert_nothing_leaked

PIPELINE_TESTS = "tests/integration/test_jobs_pipeline.py"


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[RunningStack]:
    """The session's stack. Its teardown is the leak canary: once every test that used it is
    done, whatever their order, everything the stack produced is searched for the partner
    key and for the marker planted in every caller token (tests/support/canary.py)."""
    with running_stack(
        tmp_path_factory.mktemp("devstack"), audience=f"{DEFAULT_APP_AUDIENCE}/{AUDIENCE_MARKER}"
    ) as running:
        yield running
        pipeline_ran = any(
            PIPELINE_TESTS in str(item.path).replace("\\", "/") for item in request.session.items
        )
        assert_nothing_leaked(running, pipeline_ran=pipeline_ran)


@pytest.fixture(scope="session")
def entra_stack(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[RunningStack]:
    """A second stack, started on first use, with ``--partner-auth entra``: no partner key
    anywhere, the partner's tenant issuing its token (docs/partner-entra.md). Its teardown is
    its own leak canary: the tokens and assertions it issued appear in nothing it wrote."""
    with running_stack(
        tmp_path_factory.mktemp("devstack-entra"),
        audience=f"{DEFAULT_APP_AUDIENCE}/{AUDIENCE_MARKER}",
        partner_auth="entra",
    ) as running:
        yield running
        pipeline_ran = any(
            PIPELINE_TESTS in str(item.path).replace("\\", "/") for item in request.session.items
        )
        assert_nothing_leaked(running, pipeline_ran=pipeline_ran)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
