"""Timer triggers: NCRONTAB schedules, ``%SETTING%`` resolution, schedule monitor.

Six fields ``{second} {minute} {hour} {day} {month} {day-of-week}``, in UTC; five fields
are read as a classic cron without seconds, as the Timer extension reads them.
``runOnStartup`` fires once when the host starts. With the schedule monitor
(on by default for schedules of a minute or more) the last and next
occurrences are kept between host runs; an occurrence missed while the host
was down fires at start with ``past_due=True``. A failed run is not retried.

The function gets the schedule status as it stood *before* the run, as the extension's
TimerListener passes it (azure-webjobs-sdk-extensions, src/WebJobs.Extensions/Extensions/
Timers/Listener/TimerListener.cs ``InvokeJobFunction``; Scheduling/ScheduleStatus.cs: when
the scheduler invokes the function, ``Next`` "will effectively be the current time"): ``Next``
is this occurrence and ``Last`` the previous one, or ``0001-01-01T00:00:00`` before the
first; without the monitor the status is null. The status is updated after the run.
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


#: ``default(DateTime)``: the status's ``Last`` and ``LastUpdated`` before any run.
NEVER = _iso(dt.datetime(1, 1, 1, tzinfo=dt.UTC))


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
        first = next_occurrence(self.expression, now)
        interval = (next_occurrence(self.expression, first) - first).total_seconds()
        monitor = binding.setting("useMonitor")
        self.use_monitor = (interval >= 60) if monitor is None else bool(monitor)
        self._status_path = status_dir / f"{function.name}.json"
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"timer-{function.name}", daemon=True
        )
        #: The schedule status the next run is given (the listener's ``ScheduleStatus``).
        self.status: dict[str, str] = {}

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

    def initial_status(self, now: dt.datetime) -> tuple[dict[str, str], bool]:
        """The status at start (stored, else a first one) and whether a run is past due."""
        stored = self._load_status()
        if stored and {"Last", "Next", "LastUpdated"} <= stored.keys():
            past_due = dt.datetime.fromisoformat(stored["Next"]) < now
            return {key: str(stored[key]) for key in ("Last", "Next", "LastUpdated")}, past_due
        upcoming = next_occurrence(self.expression, now)
        return {"Last": NEVER, "Next": _iso(upcoming), "LastUpdated": NEVER}, False

    def fire(self, invoked: dt.datetime, *, past_due: bool = False, startup: bool = False) -> None:
        """Run the function with the status as it stands, then move the status on."""
        reason = (
            "Timer fired: schedule is past due."
            if past_due
            else "Timer fired at host startup."
            if startup
            else f"Timer fired at {_iso(invoked)}"
        )
        try:
            self.invoker.run(
                self.function,
                timer_value(
                    self.function,
                    past_due=past_due,
                    status=dict(self.status) if self.use_monitor else None,
                ),
                reason=reason,
            )
        except Exception:
            logger.warning("timer %s failed", self.function.name)
        # A scheduled run that fired a moment early counts as the occurrence it was for.
        scheduled = dt.datetime.fromisoformat(self.status["Next"])
        last = scheduled if not (past_due or startup) and scheduled > invoked else invoked
        self.status = {
            "Last": _iso(last),
            "Next": _iso(next_occurrence(self.expression, last)),
            "LastUpdated": _iso(last),
        }
        if self.use_monitor:
            self._status_path.parent.mkdir(parents=True, exist_ok=True)
            self._status_path.write_text(json.dumps(self.status))

    def _run(self) -> None:
        self.status, past_due = self.initial_status(dt.datetime.now(dt.UTC))
        if past_due:
            self.fire(dt.datetime.now(dt.UTC), past_due=True)
        elif self.run_on_startup:
            self.fire(dt.datetime.now(dt.UTC), startup=True)
        logger.info("timer %s: next occurrence %s", self.function.name, self.status["Next"])
        while True:
            upcoming = dt.datetime.fromisoformat(self.status["Next"])
            if self._stop.wait(max(0.0, (upcoming - dt.datetime.now(dt.UTC)).total_seconds())):
                return
            self.fire(dt.datetime.now(dt.UTC))
