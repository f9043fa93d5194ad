"""``@pytest.mark.volume``: a test that runs, at scale, code its smaller siblings reach runs
untraced under ``coverage run``.

Such a test registers hundreds of secrets or simulates thousands of instances: it executes
the same lines and branches as the small tests beside it, thousands of times over, and
coverage.py's tracer pays on every one of them. Traced, the scale simulations took 26 s
against 11 s. With the mark, the ``Coverage`` that ``coverage run`` started is stopped for
the test's setup, call and teardown and started again after it; processes the test starts
are measured as ever (their own coverage starts from the environment, not from this
process). Outside ``coverage run`` the mark changes nothing.

What the mark may not do is hide a line: ``make test`` holds the shipped packages to their
floor with these tests untraced, so a line only a volume test reached would show as missed.
A test that is the only one to reach a branch (the scan of a megabyte of adversarial text,
the bound of log rows) is not a volume test, however long it runs.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


def running_coverage() -> Any | None:
    """The ``Coverage`` measuring this process, if one is."""
    try:
        import coverage
    except ImportError:  # pragma: no cover - coverage is a test dependency
        return None
    return coverage.Coverage.current()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    current = running_coverage() if item.get_closest_marker("volume") else None
    if current is None:
        return (yield)
    current.stop()
    try:
        return (yield)
    finally:
        current.start()
