"""tests/support/ordering.py: ``--order reverse`` and ``--order random`` (seeded) reorder the
tests module by module, the seed is printed, and the same seed gives the same order.

Each case collects a small pytest session of its own (pytest's ``pytester``)."""

from __future__ import annotations

import itertools
import re

import pytest

PLUGIN = ("-p", "tests.support.ordering")
MODULES = {f"test_{m}": "\n".join(f"def test_{m}{i}(): pass" for i in range(5)) for m in "abc"}
DECLARED = [f"test_{m}{i}" for m in "abc" for i in range(5)]


@pytest.fixture
def session(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(**MODULES)
    return pytester


def order(pytester: pytest.Pytester, *args: str) -> tuple[list[str], str]:
    """The collected order, and the header pytest printed."""
    result = pytester.runpytest(*PLUGIN, "--collect-only", *args)
    return re.findall(r"<Function (\w+)>", result.stdout.str()), result.stdout.str()


def modules_stay_together(names: list[str]) -> bool:
    runs = [name[len("test_")] for name in names]
    changes = sum(1 for before, after in itertools.pairwise(runs) if before != after)
    return changes == len(MODULES) - 1


@pytest.mark.slow
def test_without_the_option_the_order_is_the_declared_one(session: pytest.Pytester) -> None:
    assert order(session)[0] == DECLARED


def test_reverse_turns_modules_and_their_tests_round(session: pytest.Pytester) -> None:
    names, header = order(session, "--order", "reverse")
    assert names == DECLARED[::-1]
    assert "test order: reverse" in header


@pytest.mark.slow
def test_a_seed_gives_one_order_every_time_with_modules_kept_together(
    session: pytest.Pytester,
) -> None:
    first, header = order(session, "--order", "random", "--order-seed", "20261206")
    assert "--order-seed 20261206" in header
    assert order(session, "--order", "random", "--order-seed", "20261206")[0] == first
    assert sorted(first) == sorted(DECLARED)
    assert modules_stay_together(first)
    others = {tuple(order(session, "--order", "random", "--order-seed", str(s))[0]) for s in (1, 2)}
    assert len(others | {tuple(first), tuple(DECLARED)}) > 2, "the seed changes nothing"


@pytest.mark.slow
def test_without_a_seed_one_is_drawn_and_printed_to_repeat_the_run(
    session: pytest.Pytester,
) -> None:
    names, header = order(session, "--order", "random")
    seed = re.search(r"--order random --order-seed (\d+)", header)
    assert seed, header
    assert order(session, "--order", "random", "--order-seed", seed.group(1))[0] == names


def test_an_unknown_order_is_refused_naming_the_choices(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--order", "sideways")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--order*invalid choice*'sideways'*"])
