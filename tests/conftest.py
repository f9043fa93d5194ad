"""Session fixtures: the real devstack, started once on free ports, searched for leaks, stopped
(and its twin reaching the partner with Entra tokens, started on first use); and the door
through which a test starts stacks of its own.

Requesting any of them marks a test ``stack`` (tests/support/marks.py); ``--order`` runs the tests
in reverse or in a seeded random order (tests/support/ordering.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.runner import RunningStack, running_stack
from devstack.tokens import DEFAULT_APP_AUDIENCE
from tests.support.canary import AUDIENCE_MARKER, assert_nothing_leaked
from tests.support.stacks import Stacks

# pytester: the plugins above are tested on sessions of their own (tests/unit/tests/support).
pytest_plugins = (
    "tests.support.marks",
    "tests.support.ordering",
    "tests.support.budget",
    "tests.support.grouping",
    "tests.support.subprocess_coverage",
    "tests.support.volume",
    "pytester",
)

PIPELINE_TESTS = "tests/integration/test_jobs_pipeline.py"

#: The test files this process ran. Under pytest-xdist every worker collects every test but
#: runs only its share, so "did the pipeline's tests feed this stack" is asked of this set,
#: never of the collection.
RAN_HERE: set[str] = set()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    RAN_HERE.add(nodeid.split("::", 1)[0])


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningStack]:
    """The session's stack. Its teardown is the leak canary: once every test that used it is
    done, whatever their order, everything the stack produced is searched for the partner
    key and for the marker planted in every caller token (tests/support/canary.py)."""
    with running_stack(
        tmp_path_factory.mktemp("devstack"), audience=f"{DEFAULT_APP_AUDIENCE}/{AUDIENCE_MARKER}"
    ) as running:
        yield running
        pipeline_ran = PIPELINE_TESTS in RAN_HERE
        assert_nothing_leaked(running, pipeline_ran=pipeline_ran)


@pytest.fixture(scope="session")
def entra_stack(
    tmp_path_factory: pytest.TempPathFactory,
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
        pipeline_ran = PIPELINE_TESTS in RAN_HERE
        assert_nothing_leaked(running, pipeline_ran=pipeline_ran)


@pytest.fixture(scope="session")
def stacks() -> Stacks:
    """Start a stack of the test's own: requesting this marks the test ``stack``, and a test
    that starts one without it fails (tests/support/marks.py)."""
    return Stacks()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
