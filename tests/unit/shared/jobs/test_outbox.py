"""shared.jobs._outbox: a job whose state is written is sent, and its marker dropped, or
left for the reconciler when Storage fails; the request that accepted it never fails.

The reconciler and the resend window run against Azurite in
tests/integration/test_outbox_on_stack.py; these pin the two best-effort steps.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from shared.jobs import Outbox, decode_message


class Container:
    def __init__(self, *, delete_fails: bool = False) -> None:
        self.blobs: dict[str, bytes] = {}
        self.delete_fails = delete_fails

    def upload_blob(self, name: str, data: bytes, **_: Any) -> None:
        self.blobs[name] = data

    def delete_blob(self, name: str) -> None:
        if self.delete_fails:
            raise HttpResponseError("the delete was not answered")
        del self.blobs[name]


class Queue:
    queue_name = "jobs"

    def __init__(self, *, send_fails: bool = False) -> None:
        self.sent: list[str] = []
        self.send_fails = send_fails

    def send_message(self, text: str) -> None:
        if self.send_fails:
            raise ServiceRequestError("the queue did not answer")
        self.sent.append(text)


def outbox(container: Container, queue: Queue) -> Outbox:
    return Outbox(jobs=container, queue=queue)  # type: ignore[arg-type]


def test_a_dispatched_job_is_sent_and_its_marker_dropped() -> None:
    container, queue, job_id = Container(), Queue(), str(uuid.uuid4())
    box = outbox(container, queue)
    box.hold(job_id)
    box.dispatch(job_id)
    assert [decode_message(text.encode()).job_id for text in queue.sent] == [job_id]
    assert container.blobs == {}


def test_a_send_that_fails_keeps_the_marker_and_raises_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    container, queue, job_id = Container(), Queue(send_fails=True), str(uuid.uuid4())
    box = outbox(container, queue)
    box.hold(job_id)
    with caplog.at_level(logging.WARNING, logger="shared.jobs"):
        box.dispatch(job_id)
    assert list(container.blobs) == [f"outbox/{job_id}.json"]  # the reconciler's to finish
    assert "enqueue not confirmed (ServiceRequestError)" in caplog.text


def test_a_marker_that_cannot_be_dropped_stays_for_the_reconciler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    container, queue, job_id = Container(delete_fails=True), Queue(), str(uuid.uuid4())
    box = outbox(container, queue)
    box.hold(job_id)
    with caplog.at_level(logging.WARNING, logger="shared.jobs"):
        box.dispatch(job_id)
    assert len(queue.sent) == 1
    assert list(container.blobs) == [f"outbox/{job_id}.json"]
    assert "marker stays until the reconciler drops it" in caplog.text
