"""tests/support/grouping.py: with ``--stack-groups`` every module on the session's devstack
runs on one worker, every module on the rehearsal on one, and a module with stacks of its own
stays whole on one; without it pytest-xdist spreads them as usual. Each case runs a small
pytest session of its own (``pytester``) whose session fixtures stand for the stacks."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

PLUGIN = ("-p", "tests.support.grouping")
CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def stack(): return "stack"

@pytest.fixture(scope="session")
def entra_stack(): return "entra"

@pytest.fixture(scope="session")
def rehearsal(): return "rehearsal"

@pytest.fixture(scope="session")
def stacks(): return "stacks"
"""
MODULES = {
    # First by name and eight tests long: plain load distribution hands out its tests two by
    # two (pytest-xdist's first round), so it spans both workers without the option.
    "test_a_on_stack": "".join(f"def test_{n}(stack): pass\n" for n in "abcdefgh"),
    "test_on_entra": "def test_a(entra_stack): pass\n",
    "test_on_both": "def test_a(rehearsal): pass\ndef test_b(stack): pass\n",
    "test_on_rehearsal": "def test_a(rehearsal): pass\n",
    "test_own_one": "def test_a(stacks): pass\ndef test_b(stacks): pass\ndef test_c(): pass\n",
    "test_own_two": "def test_a(stacks): pass\ndef test_b(stacks): pass\n",
}
GROUPS = {
    "devstack": {"test_a_on_stack.py", "test_on_entra.py"},
    "rehearsal": {"test_on_both.py", "test_on_rehearsal.py"},
    "own one": {"test_own_one.py"},
    "own two": {"test_own_two.py"},
}


@pytest.fixture
def session(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(**MODULES)
    return pytester


def workers_by_module(result: pytest.RunResult) -> dict[str, set[str]]:
    """Which workers ran each module's tests (pytest-xdist's ``-v`` lines)."""
    ran: dict[str, set[str]] = defaultdict(set)
    for worker, nodeid in re.findall(r"\[(gw\d)\] \[\s*\d+%\] PASSED (\S+)", result.stdout.str()):
        ran[nodeid.split("::")[0]].add(worker)
    return ran


def test_the_table_groups_modules_by_the_stack_they_share(session: pytest.Pytester) -> None:
    from tests.support.grouping import groups

    items, _ = session.inline_genitems()
    chosen = groups(items)
    for group, modules in GROUPS.items():
        assert len({chosen[module] for module in modules}) == 1, group
    assert len(set(chosen.values())) == len(GROUPS)


def test_the_fault_scenarios_share_a_group_whatever_they_use() -> None:
    from types import SimpleNamespace

    from tests.support.grouping import groups

    items = [
        SimpleNamespace(nodeid="tests/faults/test_one.py::test_a", fixturenames=["stacks"]),
        SimpleNamespace(nodeid="tests/faults/test_two.py::test_a", fixturenames=["stack"]),
        SimpleNamespace(nodeid="tests/other/test_own.py::test_a", fixturenames=["stacks"]),
    ]
    chosen = groups(items)  # type: ignore[arg-type]
    assert chosen["tests/faults/test_one.py"] == chosen["tests/faults/test_two.py"]
    assert chosen["tests/other/test_own.py"] == "tests/other/test_own.py"


@pytest.mark.slow  # sessions of pytest-xdist workers
def test_each_group_runs_on_one_worker(session: pytest.Pytester) -> None:
    result = session.runpytest(*PLUGIN, "-n", "2", "--stack-groups", "-v")
    result.assert_outcomes(passed=17)
    ran = workers_by_module(result)
    for group, modules in GROUPS.items():
        assert len(set().union(*(ran[module] for module in modules))) == 1, (group, ran)
    assert len(set().union(*ran.values())) == 2, "both workers had work"


@pytest.mark.slow  # sessions of pytest-xdist workers
def test_without_the_option_a_module_on_a_shared_stack_is_spread(
    session: pytest.Pytester,
) -> None:
    """The control: plain load distribution spreads the long module over workers, so the
    grouped run above is this option's doing."""
    result = session.runpytest(*PLUGIN, "-n", "2", "--dist", "load", "-v")
    result.assert_outcomes(passed=17)
    assert len(workers_by_module(result)["test_a_on_stack.py"]) > 1
