"""tests/support/waiting.py: a wait ends on the first truthy value, retries only what the
caller calls "not yet", and a timeout names the last value and the last such exception."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.waiting import eventually


class NotYet(Exception):
    """What a check raises while the thing it waits for is not there (a missing blob)."""


def test_the_first_truthy_value_is_returned() -> None:
    values: Iterator[object] = iter([None, [], 0, "found", "later"])
    assert eventually(lambda: next(values), interval=0) == "found"


def test_a_timeout_names_the_last_value() -> None:
    counter = itertools.count()
    with pytest.raises(AssertionError, match=r"within 0\.1s \(last value: 0\)") as raised:
        eventually(lambda: 0 * next(counter), timeout=0.1, interval=0.01)
    assert raised.value.__cause__ is None
    assert next(counter) >= 2, "the check was asked more than once"


def test_a_not_yet_exception_is_retried_and_named_on_timeout() -> None:
    calls = itertools.count(1)

    def check() -> bool:
        raise NotYet(f"not there on call {next(calls)}")

    with pytest.raises(
        AssertionError, match=r"last exception: NotYet: not there on call"
    ) as raised:
        eventually(check, timeout=0.1, interval=0.01, ignoring=(NotYet,))
    assert isinstance(raised.value.__cause__, NotYet)
    assert next(calls) > 2


def test_a_not_yet_exception_then_a_value_succeeds() -> None:
    answers: Iterator[Exception | str] = iter([NotYet("missing"), NotYet("missing"), "written"])

    def check() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert eventually(check, interval=0, ignoring=(NotYet,)) == "written"


def test_any_other_exception_ends_the_wait_at_once() -> None:
    calls = itertools.count(1)

    def check() -> bool:
        next(calls)
        raise PermissionError("a real error: the credential was refused")

    with pytest.raises(PermissionError, match="credential was refused"):
        eventually(check, timeout=30, ignoring=(NotYet,))
    assert next(calls) == 2, "asked once, not polled for 30 s"
