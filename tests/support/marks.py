"""The ``stack`` marker, derived from what a test starts, and the guard that keeps it honest.

A test needs a devstack when it requests the session's ``stack`` (or ``entra_stack``) or
``stacks`` (stacks of its own), directly or through any fixture it uses (a host on the
session's stack, a module's own stack): its fixture closure says so, and collection marks it
``stack``. Nobody writes the marker by hand, so nobody can forget it; ``make fast`` runs
``-m "not stack"``.

The derivation only sees fixtures. A test that started a stack some other way would slip
into the fast run, so every door to a stack (:func:`devstack.runner.start_stack`, and the
process starter of :mod:`tests.support.processes`) asks :func:`require_stack` first, which
fails such a test with the fix in the message.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import wraps
from typing import Any

import pytest

import devstack.runner

#: Fixtures whose closure means "this test needs a devstack".
STACK_FIXTURES = frozenset({"stack", "entra_stack", "stacks"})
MARKER = "stack"

_running: list[pytest.Item] = []


def needs_stack(item: pytest.Item) -> bool:
    return bool(STACK_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Before ``-m`` deselects anything: mark every test whose fixtures start a stack."""
    for item in items:
        if needs_stack(item):
            item.add_marker(MARKER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Remember the running test (its set-up and teardown included) for the guard."""
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def require_stack(what: str) -> None:
    """Fail the running test if it starts ``what`` without being marked ``stack``."""
    if _running and _running[-1].get_closest_marker(MARKER) is None:
        pytest.fail(
            f"{_running[-1].nodeid} starts {what} but requests neither the `stack` nor the "
            "`stacks` fixture, so it is not marked `stack` and `make fast` would run it: "
            "start it through `stacks` (tests/conftest.py)",
            pytrace=False,
        )


def _guarded(start: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(start)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        require_stack("a devstack")
        return start(*args, **kwargs)

    return guarded


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(devstack.runner.start_stack, "__wrapped__"):
        devstack.runner.start_stack = _guarded(devstack.runner.start_stack)
