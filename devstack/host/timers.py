"""Timer triggers: NCRONTAB schedules, ``%SETTING%`` resolution, schedule monitor.

Six fields ``{second} {minute} {hour} {day} {month} {day-of-week}``, in UTC; five fields
are read as a classic cron without seconds, as the Timer extension reads them.
``runOnStartup`` fires once when the host starts. With the schedule monitor
(on by default for schedules of a minute or more) the last and next
occurrences are kept between host runs; an occurrence missed while the host
was down fires at start with ``past_due=True``. A failed run is not retried.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from azure.functions.meta import Datum
from croniter import croniter

from devstack.host.bindings.expressions import BindingData, ExpressionError, resolve_settings
from devstack.host.functions import IndexedFunction
from devstack.host.invocation import Invoker, TriggerValue

logger = logging.getLogger("devstack.host")


class ScheduleError(ValueError):
    """A timer schedule the host would refuse to start with."""


def resolve_schedule(schedule: str, environ: dict[str, str] | None = None) -> str:
    """Resolve ``%NAME%`` from the app settings and validate the NCRONTAB expression."""
    env = os.environ if environ is None else environ
    try:
        expression = resolve_settings(schedule.strip(), env).strip()
    except ExpressionError as exc:
        raise ScheduleError(f"timer schedule {schedule!r}: {exc}") from exc
    fields = len(expression.split())
    if fields not in (5, 6):
        raise ScheduleError(
            f"timer schedule {expression!r} must have six NCRONTAB fields "
            "({second} {minute} {hour} {day} {month} {day-of-week}) or five (no seconds)"
        )
    if not croniter.is_valid(expression, second_at_beginning=fields == 6):
        raise ScheduleError(f"timer schedule {expression!r} is not a valid NCRONTAB expression")
    return expression


def next_occurrence(expression: str, after: dt.datetime) -> dt.datetime:
    with_seconds = len(expression.split()) == 6
    result: dt.datetime = croniter(expression, after, second_at_beginning=with_seconds).get_next(
        dt.datetime
    )
    return result


def timer_value(function: IndexedFunction, *, past_due: bool, status: Any) -> TriggerValue:
    """A timer firing as trigger data (the library's ``TimerRequest`` reads this JSON)."""
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": status, "IsPastDue": past_due}
    return TriggerValue(
        datum=Datum(json.dumps(info), "json"), binding_data=BindingData(method_name=function.name)
    )


def manual_trigger(function: IndexedFunction, text: str) -> TriggerValue:
    """``POST /admin/functions/{name}``: the input is ignored; no schedule status."""
    return timer_value(function, past_due=False, status=None)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


class TimerRunner:
    """One thread per timer function."""

    def __init__(
        self,
        *,
        function: IndexedFunction,
        invoker: Invoker,
        status_dir: Path,
        environ: dict[str, str] | None = None,
    ) -> None:
        binding = function.trigger_binding  # what the worker sends the host
        self.function = function
        self.invoker = invoker
        schedule = str(function.trigger_binding.setting("schedule"))
        self.expression = resolve_schedule(schedule, environ)
        self.run_on_startup = bool(binding.setting("runOnStartup"))
        now = dt.datetime.now(dt.UTC)
        first, second = next_occurrence(self.expression, now), None
        second = next_occurrence(self.expression, first)
        interval = (second - first).total_seconds()
        monitor = binding.setting("useMonitor")
        self.use_monitor = (interval >= 60) if monitor is None else bool(monitor)
        self._status_path = status_dir / f"{function.name}.json"
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"timer-{function.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _load_status(self) -> dict[str, Any] | None:
        if not self.use_monitor:
            return None
        try:
            status: dict[str, Any] = json.loads(self._status_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return status

    def _save_status(self, last: dt.datetime, upcoming: dt.datetime) -> dict[str, str]:
        status = {
            "Last": _iso(last),
            "Next": _iso(upcoming),
            "LastUpdated": _iso(dt.datetime.now(dt.UTC)),
        }
        if self.use_monitor:
            self._status_path.parent.mkdir(parents=True, exist_ok=True)
            self._status_path.write_text(json.dumps(status))
        return status

    def _fire(self, *, scheduled: dt.datetime, past_due: bool, reason: str) -> None:
        upcoming = next_occurrence(self.expression, max(scheduled, dt.datetime.now(dt.UTC)))
        previous = self._load_status() or {}
        status = {
            "Last": previous.get("Last") or _iso(scheduled),
            "Next": _iso(upcoming),
            "LastUpdated": previous.get("LastUpdated") or _iso(scheduled),
        }
        try:
            self.invoker.run(
                self.function,
                timer_value(self.function, past_due=past_due, status=status),
                reason=reason,
            )
        except Exception:
            logger.warning("timer %s failed; next run at %s", self.function.name, _iso(upcoming))
        self._save_status(scheduled, upcoming)

    def _run(self) -> None:
        now = dt.datetime.now(dt.UTC)
        status = self._load_status()
        if status and dt.datetime.fromisoformat(status["Next"]) < now:
            self._fire(scheduled=now, past_due=True, reason="Timer fired: schedule is past due.")
        elif self.run_on_startup:
            self._fire(scheduled=now, past_due=False, reason="Timer fired at host startup.")
        upcoming = next_occurrence(self.expression, dt.datetime.now(dt.UTC))
        logger.info("timer %s: next occurrence %s", self.function.name, _iso(upcoming))
        while not self._stop.wait(max(0.0, (upcoming - dt.datetime.now(dt.UTC)).total_seconds())):
            fired_at = dt.datetime.now(dt.UTC)
            past_due = (fired_at - upcoming).total_seconds() > 1.0
            self._fire(
                scheduled=upcoming, past_due=past_due, reason=f"Timer fired at {_iso(fired_at)}"
            )
            upcoming = next_occurrence(self.expression, max(upcoming, dt.datetime.now(dt.UTC)))
