"""``--fast-budget SECONDS``: name every test that ``make fast`` runs but that took longer.

``make fast`` stays under a minute only while the tests it runs (no stack, not marked
``slow``) stay quick. A slow test added without the marker would lengthen it silently, so
``make test`` runs its no-stack phase with this option and ends with the list of such tests,
slowest first, and the one fix (the ``slow`` marker). It never fails a run: a duration
depends on the machine, and a test must not fail by chance.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

#: Markers that already keep a test out of ``make fast``.
KEPT_OUT = ("slow", "stack")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("budget", "make fast's budget (tests/support/budget.py)").addoption(
        "--fast-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="at the end, name each test run by make fast that took longer than SECONDS",
    )


class Budget:
    """Adds up each test's set-up, call and teardown as their reports arrive (under
    pytest-xdist, on the controller, which receives every worker's reports)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not any(marker in report.keywords for marker in KEPT_OUT):
            self.spent[report.nodeid] += report.duration

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        over = sorted(
            ((spent, nodeid) for nodeid, spent in self.spent.items() if spent > self.seconds),
            reverse=True,
        )
        if not over:
            return
        terminalreporter.section("make fast's budget")
        terminalreporter.write_line(
            f"{len(over)} test(s) that make fast runs took over {self.seconds:g} s: mark each "
            "@pytest.mark.slow (make test still runs it) or make it quicker"
        )
        for spent, nodeid in over:
            terminalreporter.write_line(f"{spent:6.2f}s {nodeid}")


def pytest_configure(config: pytest.Config) -> None:
    seconds = config.getoption("fast_budget")
    if seconds is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Budget(seconds), "fast-budget")
