"""Fault plans and the gate that applies them, on a controlled clock and seeded RNG."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from devstack.faults import FaultGate, FaultPlan


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def plan(**body: Any) -> FaultPlan:
    return FaultPlan.parse(body)


def test_a_window_plan_strikes_until_its_seconds_are_spent_then_clears() -> None:
    clock = Clock()
    gate = FaultGate(clock=clock)
    gate.set_plan(plan(mode="status", seconds=5))
    assert gate.strike() is not None
    clock.now += 4.9
    assert gate.strike() is not None
    clock.now += 0.1
    assert gate.strike() is None
    assert gate.plan is None


def test_a_count_plan_clears_after_its_calls_whatever_the_rate() -> None:
    gate = FaultGate()
    gate.set_plan(plan(mode="status", count=3, rate=0.0))
    assert [gate.strike() for _ in range(3)] == [None, None, None]
    assert gate.plan is None


def test_a_list_of_modes_mixes_them_at_the_seeded_rate() -> None:
    def run() -> list[str | None]:
        gate = FaultGate()
        gate.set_plan(plan(mode=["status", "slow"], rate=0.3, seed=11))
        return [(s.mode if (s := gate.strike()) else None) for _ in range(2000)]

    first = run()
    assert run() == first  # seeded: repeatable
    counts = Counter(first)
    assert set(counts) == {None, "status", "slow"}
    struck = counts["status"] + counts["slow"]
    assert 0.25 < struck / 2000 < 0.35
    assert 0.35 < counts["status"] / struck < 0.65


def test_a_strike_answers_the_plans_status_and_retry_after() -> None:
    gate = FaultGate()
    gate.set_plan(plan(mode="status", status=429, retry_after=3))
    strike = gate.strike()
    assert strike is not None
    response = strike.response()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


@pytest.mark.parametrize(
    "body",
    [
        {"mode": []},
        {"mode": ["status", "explode"]},
        {"mode": "status", "seconds": 0},
        {"mode": "status", "seconds": -1},
        {"mode": "status", "seconds": True},
        {"mode": "status", "seconds": 10_000},
    ],
)
def test_invalid_plans_say_what_is_wrong(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"mode|seconds"):
        FaultPlan.parse(body)


def test_a_hang_answers_nothing_while_its_plan_stands_then_closes_the_connection() -> None:
    """The black hole: no byte is sent while the plan is on; clearing it ends the call
    with a closed connection (the reset marker), never with an answer."""
    import asyncio

    from devstack.faults import RESET_MARKER

    gate = FaultGate()
    gate.set_plan(plan(mode="hang", seconds=60))
    strike = gate.strike()
    assert strike is not None
    assert strike.mode == "hang"
    sent: list[object] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def scenario() -> tuple[bool, object]:
        call = asyncio.ensure_future(strike.carry_out({"type": "http"}, receive, send))
        await asyncio.sleep(0.3)
        still_hanging = not call.done()
        gate.set_plan(None)
        return still_hanging, await asyncio.wait_for(call, timeout=10)

    still_hanging, outcome = asyncio.run(scenario())
    assert still_hanging
    assert outcome == RESET_MARKER
    assert sent == []


def test_a_hang_with_latency_gives_up_after_it() -> None:
    import asyncio

    from devstack.faults import RESET_MARKER

    gate = FaultGate()
    gate.set_plan(plan(mode="hang", latency_ms=100, seconds=60))
    strike = gate.strike()
    assert strike is not None

    async def never(*_: Any) -> Any:
        raise AssertionError("a hang must not touch the call")

    outcome = asyncio.run(asyncio.wait_for(strike.carry_out({}, never, never), timeout=10))
    assert outcome == RESET_MARKER
    assert gate.plan is not None, "the plan stands; only this call gave up"
