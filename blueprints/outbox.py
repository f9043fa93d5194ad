"""The outbox reconciler: a timer that finishes jobs cut off before their message was sent.

Every ``%OUTBOX_SCHEDULE%`` (each minute by default) it lists the outbox markers older
than ``OUTBOX_RESEND_AFTER_SECONDS`` and sends again the message of every job still
``queued`` (see :mod:`shared.jobs._outbox`). The Functions host runs a timer function on
one instance at a time, holding a blob lease in the host's storage (AzureWebJobsStorage),
so a scaled-out app reconciles once per tick; were two runs ever to overlap, a job would
get its message twice, which the idempotent worker absorbs. ``use_monitor`` keeps the
schedule across restarts; not on start-up, so a crash loop does not multiply the runs.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared import storage
from shared.settings import get_settings

logger = logging.getLogger("app.outbox")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.timer_trigger(
    schedule="%OUTBOX_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def outbox_timer(timer: func.TimerRequest) -> None:
    from shared.jobs import reconcile  # the Storage SDK loads on the first run

    done = reconcile(
        storage.job_store(),
        storage.outbox(),
        resend_after=get_settings().outbox_resend_after,
    )
    if done["resent"] or done["abandoned"]:
        logger.warning(
            "outbox: %d job(s) sent again, %d marker(s) of unwritten jobs dropped, %d settled",
            done["resent"],
            done["abandoned"],
            done["settled"],
        )
