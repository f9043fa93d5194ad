"""NCRONTAB schedules with five or six fields.

Source: the Timer extension's CronSchedule (azure-webjobs-sdk-extensions,
Timers/Scheduling/CronSchedule.cs: an expression of exactly five fields is parsed
without seconds, anything else with seconds) and the timer trigger page
(learn.microsoft.com/azure/azure-functions/functions-bindings-timer, "NCRONTAB
expressions").
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import azure.functions as func
import pytest

from devstack.host.functions import index_functions
from devstack.host.invocation import Invoker
from devstack.host.timers import ScheduleError, TimerRunner, next_occurrence, resolve_schedule


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


# -- the schedule status a run is given ---------------------------------------------

statuses_seen: list[object] = []


def _runner(
    tmp_path: Path, schedule: str, *, use_monitor: bool | None = None
) -> tuple[TimerRunner, Invoker]:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule=schedule, use_monitor=use_monitor)
    def tick(timer: func.TimerRequest) -> None:
        statuses_seen.append(getattr(timer, "schedule_status", None))

    (function,) = index_functions(app)
    invoker = Invoker(app_dir=tmp_path)
    return TimerRunner(function=function, invoker=invoker, status_dir=tmp_path), invoker


def test_a_run_gets_the_status_from_before_it(tmp_path: Path) -> None:
    """Next is this occurrence and Last the one before, 0001-01-01 before the first
    (TimerListener.cs: ``InvokeJobFunction`` hands the listener's ``ScheduleStatus`` to the
    function, then sets Last to the occurrence and Next to the one after it; a run that
    fires a moment early counts as its occurrence; ScheduleStatus.cs: "Next ... will
    effectively be the current time")."""
    statuses_seen.clear()
    runner, invoker = _runner(tmp_path, "0 */5 * * * *")
    try:
        start = dt.datetime(2026, 3, 1, 10, 1, 0, tzinfo=dt.UTC)
        first, second = start.replace(minute=5), start.replace(minute=10)
        runner.status, past_due = runner.initial_status(start)
        assert not past_due
        runner.fire(first - dt.timedelta(milliseconds=200))
        runner.fire(second + dt.timedelta(milliseconds=100))
    finally:
        invoker.shutdown()
    never = "0001-01-01T00:00:00+00:00"
    assert statuses_seen == [
        {"Last": never, "Next": first.isoformat(), "LastUpdated": never},
        {"Last": first.isoformat(), "Next": second.isoformat(), "LastUpdated": first.isoformat()},
    ]
    late = (second + dt.timedelta(milliseconds=100)).isoformat()
    stored = json.loads((tmp_path / "tick.json").read_text())
    assert stored == {
        "Last": late,
        "Next": start.replace(minute=15).isoformat(),
        "LastUpdated": late,
    }


def test_a_missed_occurrence_runs_past_due_with_the_stored_status(tmp_path: Path) -> None:
    """A host that starts after the stored Next runs the function at once with
    ``past_due`` and the stored status (the monitor's, as it was before the run)."""
    statuses_seen.clear()
    stored = {
        "Last": "2026-03-01T10:05:00+00:00",
        "Next": "2026-03-01T10:10:00+00:00",
        "LastUpdated": "2026-03-01T10:05:00+00:00",
    }
    (tmp_path / "tick.json").write_text(json.dumps(stored))
    runner, invoker = _runner(tmp_path, "0 */5 * * * *")
    try:
        now = dt.datetime(2026, 3, 1, 10, 42, 0, tzinfo=dt.UTC)
        runner.status, past_due = runner.initial_status(now)
        assert past_due
        runner.fire(now, past_due=True)
    finally:
        invoker.shutdown()
    assert statuses_seen == [stored]
    assert runner.status["Last"] == now.isoformat()
    assert runner.status["Next"] == now.replace(minute=45).isoformat()


def test_without_the_monitor_there_is_no_status(tmp_path: Path) -> None:
    """``use_monitor=False``: TimerInfo carries no status (the listener keeps one only with
    a ScheduleMonitor; the library's ``TimerRequest`` reads a null as ``{}``), and nothing
    is stored."""
    statuses_seen.clear()
    runner, invoker = _runner(tmp_path, "0 */5 * * * *", use_monitor=False)
    try:
        start = dt.datetime(2026, 3, 1, 10, 1, 0, tzinfo=dt.UTC)
        runner.status, _ = runner.initial_status(start)
        runner.fire(start.replace(minute=5))
    finally:
        invoker.shutdown()
    assert statuses_seen == [{}]
    assert not (tmp_path / "tick.json").exists()
