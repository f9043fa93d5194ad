"""NCRONTAB schedules with five or six fields.

Source: the Timer extension's CronSchedule (azure-webjobs-sdk-extensions,
Timers/Scheduling/CronSchedule.cs: an expression of exactly five fields is parsed
without seconds, anything else with seconds) and the timer trigger page
(learn.microsoft.com/azure/azure-functions/functions-bindings-timer, "NCRONTAB
expressions").
"""

from __future__ import annotations

import datetime as dt

import pytest

from devstack.host.timers import ScheduleError, next_occurrence, resolve_schedule


def test_five_fields_are_minutes_first() -> None:
    assert resolve_schedule("*/5 * * * *", {}) == "*/5 * * * *"
    start = dt.datetime(2026, 1, 1, 0, 1, 30, tzinfo=dt.UTC)
    assert next_occurrence("*/5 * * * *", start) == start.replace(minute=5, second=0)
    assert next_occurrence("*/5 * * * * *", start) == start.replace(second=35)


def test_other_field_counts_and_bad_expressions_are_refused() -> None:
    for bad in ("* * * *", "* * * * * * *", "61 * * * * *", "%S%"):
        with pytest.raises(ScheduleError):
            resolve_schedule(bad, {})
    assert resolve_schedule("%S%", {"S": "0 */2 * * *"}) == "0 */2 * * *"
