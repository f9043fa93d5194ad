"""bench.host_memory.fit: P7's growth rate, its spread, and the goal judged on the bound."""

from __future__ import annotations

import random

import pytest

from bench.host_memory import FIRST, HEAP_GROWTH_GOAL, LAST, STEP, fit

MARKS = list(range(FIRST, LAST + 1, STEP))  # P7's readings
HEAP_KIB = 40 * 1024.0
GOAL: dict[str, int] = {"goal_from": 1000, "goal_to": 10_000}


def test_a_steady_leak_is_found_exactly_and_misses_the_goal() -> None:
    # 100 KiB per 1,000 jobs on a 40 MiB heap: 900 KiB more by 10,000 jobs, 2.2 %.
    growth = fit([(jobs, HEAP_KIB + 0.1 * (jobs - 1000)) for jobs in MARKS], **GOAL)
    assert growth.kib_per_1000 == pytest.approx(100.0)
    assert growth.stderr == pytest.approx(0.0, abs=1e-6)
    assert growth.heap_from_kib == pytest.approx(HEAP_KIB)
    assert growth.projected == pytest.approx(1 + 900 / HEAP_KIB)
    assert growth.projected > HEAP_GROWTH_GOAL


def test_a_flat_heap_with_reading_noise_meets_it_and_noise_widens_the_bound() -> None:
    draw = random.Random(7)
    noisy = [(jobs, HEAP_KIB + draw.gauss(0, 20)) for jobs in MARKS]  # P7's readings: +-20 KiB
    growth = fit(noisy, **GOAL)
    assert growth.stderr > 0
    assert growth.upper_kib_per_1000 > growth.kib_per_1000
    assert growth.projected <= HEAP_GROWTH_GOAL
    louder = fit([(jobs, HEAP_KIB + 30 * (heap - HEAP_KIB)) for jobs, heap in noisy], **GOAL)
    assert louder.projected > growth.projected, "more noise, a higher bound: never a pass"


def test_two_readings_give_no_spread() -> None:
    with pytest.raises(ValueError, match="three readings"):
        fit([(1000, HEAP_KIB), (2000, HEAP_KIB)], **GOAL)
