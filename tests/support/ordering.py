"""``--order``: run the tests in reverse, or in a seeded random order, to prove none leans on
another.

A test that passes only after (or before) another one shares state it neither set up nor
restored. Running the suite in another order shows it. ``reverse`` turns the collected order
round; ``random`` shuffles with ``--order-seed`` (a fresh seed, printed in the header, when
none is given: the header line repeats the run). Tests stay grouped by module, as pytest
groups them, so a module's own stack starts once: the modules are reordered, and the tests
inside each module.
"""

from __future__ import annotations

import random
import secrets
from typing import Any

import pytest

ORDERS = ("declared", "reverse", "random")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("order", "test order (tests/support/ordering.py)")
    group.addoption(
        "--order",
        choices=ORDERS,
        default="declared",
        help="declared (default), reverse, or random (seeded by --order-seed)",
    )
    group.addoption(
        "--order-seed",
        type=int,
        default=None,
        help="the seed of --order random (default: a fresh one, printed in the header)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("order") == "random" and config.getoption("order_seed") is None:
        # An xdist worker takes its controller's seed: every worker must collect alike.
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        chosen = workerinput.get("order_seed") if workerinput else None
        config.option.order_seed = secrets.randbelow(2**32) if chosen is None else chosen


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(pytest-xdist) Hand the controller's seed to each worker it starts."""
    node.workerinput["order_seed"] = node.config.getoption("order_seed")


def pytest_report_header(config: pytest.Config) -> str | None:
    order = config.getoption("order")
    if order == "declared":
        return None
    if order == "reverse":
        return "test order: reverse (--order reverse)"
    return f"test order: random (--order random --order-seed {config.getoption('order_seed')})"


def reordered(items: list[pytest.Item], order: str, seed: int | None) -> list[pytest.Item]:
    """The items in ``order``, module by module (each module's tests kept together)."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(str(item.path), []).append(item)
    groups = list(modules.values())
    if order == "reverse":
        return [item for group in reversed(groups) for item in reversed(group)]
    if order == "random":
        rng = random.Random(seed)
        rng.shuffle(groups)
        for group in groups:
            rng.shuffle(group)
        return [item for group in groups for item in group]
    return items


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Last, after pytest has grouped the tests by their module and session fixtures."""
    items[:] = reordered(items, config.getoption("order"), config.getoption("order_seed"))
