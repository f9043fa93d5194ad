"""tests/support/marks.py: the ``stack`` marker follows the fixtures a test requests, and a
test that starts a stack without saying so fails before anything starts.

Each case is a small pytest session of its own (pytest's ``pytester``), with stand-ins for
the ``stack`` and ``stacks`` fixtures: nothing here starts a stack.
"""

from __future__ import annotations

import pytest

STAND_INS = """
import pytest

@pytest.fixture(scope="session")
def stack():
    return "the session's stack"

@pytest.fixture(scope="session")
def stacks():
    return "the door to stacks of one's own"

@pytest.fixture
def host(stack):
    return "a host on the session's stack"

@pytest.fixture(scope="module")
def own(stacks):
    return "a module's own stack"
"""

TESTS = """
import pytest

def test_plain():
    pass

def test_on_the_session_stack(stack):
    pass

def test_through_a_host(host):
    pass

def test_on_a_stack_of_its_own(own):
    pass

@pytest.mark.usefixtures("stacks")
def test_that_starts_one_by_hand():
    pass
"""

PLUGIN = ("-p", "tests.support.marks")


@pytest.fixture
def session(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(STAND_INS)
    pytester.makepyfile(test_kinds=TESTS)
    return pytester


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest(*PLUGIN, "--collect-only", "-q", *args)
    return sorted(line.split("::")[1] for line in result.outlines if "::" in line)


@pytest.mark.slow
def test_a_test_is_marked_by_the_fixtures_it_requests_directly_or_not(
    session: pytest.Pytester,
) -> None:
    assert collected(session, "-m", "not stack") == ["test_plain"]
    assert collected(session, "-m", "stack") == [
        "test_on_a_stack_of_its_own",
        "test_on_the_session_stack",
        "test_that_starts_one_by_hand",
        "test_through_a_host",
    ]


START = """
import devstack.runner

def test_{name}({fixtures}tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")  # start_stack cannot make its state directory here
    devstack.runner.start_stack(in_the_way)
"""


def test_starting_a_stack_unmarked_fails_naming_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(STAND_INS)
    pytester.makepyfile(test_unmarked=START.format(name="unmarked", fixtures=""))
    result = pytester.runpytest(*PLUGIN, "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*test_unmarked.py::test_unmarked starts a devstack but requests neither*`stacks`*"]
    )
    assert "FileExistsError" not in result.stdout.str()  # stopped before start_stack ran


def test_a_marked_test_passes_the_guard(pytester: pytest.Pytester) -> None:
    """The positive control: the same call from a test that requests ``stacks`` reaches
    start_stack itself (which then fails on the file in its way)."""
    pytester.makeconftest(STAND_INS)
    pytester.makepyfile(test_marked=START.format(name="marked", fixtures="stacks, "))
    result = pytester.runpytest(*PLUGIN, "-q")
    result.assert_outcomes(failed=1)
    assert "FileExistsError" in result.stdout.str()
    assert "requests neither" not in result.stdout.str()
