"""tests/support/budget.py: ``--fast-budget`` names the tests ``make fast`` runs that took
longer than the budget, and none it leaves out (``slow`` or ``stack``), with or without
pytest-xdist. Each case runs a small pytest session of its own (pytest's ``pytester``)."""

from __future__ import annotations

import pytest

PLUGIN = ("-p", "tests.support.budget")
# Every test here sleeps past the budget, so only the markers decide what is named.
SESSION = """
import time
import pytest

def test_unmarked():
    time.sleep(0.3)

@pytest.mark.slow
def test_marked_slow():
    time.sleep(0.3)

@pytest.mark.stack
def test_marked_stack():
    time.sleep(0.3)
"""
INI = "[pytest]\nmarkers =\n    slow: slow\n    stack: stack\n"


@pytest.fixture
def session(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_budget_session=SESSION)
    pytester.makeini(INI)
    return pytester


@pytest.mark.slow
@pytest.mark.parametrize(
    "workers", [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]
)
def test_only_what_make_fast_runs_is_named(
    session: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    result = session.runpytest(*PLUGIN, "--fast-budget", "0.2", *workers)
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    assert "1 test(s) that make fast runs took over 0.2 s" in out
    assert "test_budget_session.py::test_unmarked" in out
    assert "test_marked_slow" not in out.split("make fast's budget")[1]
    assert "test_marked_stack" not in out.split("make fast's budget")[1]


@pytest.mark.slow
def test_without_the_option_nothing_is_said(session: pytest.Pytester) -> None:
    result = session.runpytest(*PLUGIN)
    result.assert_outcomes(passed=3)
    assert "make fast's budget" not in result.stdout.str()
