"""``--cover-subprocesses CONFIG``: coverage of every process a test starts, not of the test's.

The stack tests run the app where Azure runs it: in a host's worker, a process of the stack
the test starts. Coverage has to follow those processes, and coverage.py does so for any
Python process that starts with ``COVERAGE_PROCESS_START`` in its environment (the ``.pth``
file ``coverage`` installs; coverage.readthedocs.io, "Measuring subprocesses"). Under
``coverage run``, the pytest processes are traced as well, and in the stack phase that is
most of coverage's cost for little: a stack test's own process mostly generates requests
and waits (schemathesis and Hypothesis alone run 40 % slower traced), while the code it
exercises runs in the stack; the no-stack phase measures the code tests call in-process.

So with this option each pytest process that runs tests sets the variable once it is up:
it is not traced itself, and everything it starts from then on is. Under pytest-xdist the
controller starts the workers without it (they run no test on the controller), and each
worker sets it for the stacks it starts. ``COVERAGE_FILE`` is set beside the config, so
data from a process started in another directory (another app's host) lands with the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("coverage", "coverage of started processes").addoption(
        "--cover-subprocesses",
        default=None,
        metavar="CONFIG",
        help="measure coverage (settings from CONFIG) in every process a test starts, "
        "not in the pytest processes themselves",
    )


def runs_tests(config: pytest.Config) -> bool:
    """Whether this pytest process runs tests: an xdist worker, or a session without workers."""
    if hasattr(config, "workerinput"):
        return True
    return not config.getoption("numprocesses", default=None)


def pytest_configure(config: pytest.Config) -> None:
    settings = config.getoption("cover_subprocesses")
    if settings is None or not runs_tests(config):
        return
    path = Path(settings).resolve()
    if not path.is_file():
        raise pytest.UsageError(f"--cover-subprocesses: no coverage settings at {path}")
    os.environ["COVERAGE_PROCESS_START"] = str(path)
    os.environ.setdefault("COVERAGE_FILE", str(path.parent / ".coverage"))
