"""The partner key rotates itself: on Key Vault's expiry events, and daily as a safety net.

* Queue trigger on ``key-events`` (the host's own storage connection: in Azure the
  rotation app's account, where the vault's Event Grid system topic delivers with its
  managed identity): each ``SecretNearExpiry`` / ``SecretExpired`` event about the
  partner secret starts a rotation (:mod:`shared.rotation._flow`); other events and other
  secrets are logged and dropped. A failure raises, so the host retries the message and,
  after ``maxDequeueCount``, keeps it in ``key-events-poison``.
* Timer ``%ROTATION_SCHEDULE%`` (daily): rotates when the current version expires within
  ``ROTATION_WINDOW_DAYS``, so a lost event never means an expired key. Not on start-up.

Duplicate events, redeliveries and the timer rotate once between them: the rotation
takes a lease and looks at the vault again before it does anything (docs/rotation.md).
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.queues import EVENTS_QUEUE  # the rotation package loads on the first event

logger = logging.getLogger("app.rotation")
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.queue_trigger(arg_name="msg", queue_name=EVENTS_QUEUE, connection="AzureWebJobsStorage")
def rotate_on_event(msg: func.QueueMessage) -> None:
    from shared.rotation import Trigger, load_rotation_config, parse_message, rotator
    from shared.rotation.errors import EventError

    try:
        events = parse_message(msg.get_body())
    except EventError as exc:
        logger.error("message %s on %s is not a Key Vault event: %s", msg.id, EVENTS_QUEUE, exc)
        raise
    secret_name = load_rotation_config().secret_name
    for event in events:
        if not event.rotates or event.secret_name.lower() != secret_name.lower():
            logger.info("event %s (%s) needs no rotation here", event.event_id, event.event_type)
            continue
        outcome = rotator().rotate(Trigger("event", event))
        logger.info("event %s handled: %s", event.event_id, outcome.reason)


@bp.timer_trigger(
    schedule="%ROTATION_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def rotation_timer(timer: func.TimerRequest) -> None:
    from shared.rotation import Trigger, rotator

    outcome = rotator().rotate(Trigger("timer"))
    logger.info("rotation check: %s", outcome.reason)
