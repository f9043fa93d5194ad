"""P9's small calls against the stack's queue (bench/storage_front.py).

A delete the queue answers with 404 ``MessageNotFound`` is a message already gone (the
Functions host's queue listener treats it so); any other failure of a delete still fails
the call.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from bench.storage_front import delete_received
from devstack.runner import RunningStack


@pytest.fixture
def queue(stack: RunningStack) -> Iterator[QueueClient]:
    client = stack.queue_service().get_queue_client(f"bench-gone-{uuid.uuid4().hex[:8]}")
    client.create_queue()
    yield client
    client.delete_queue()


def test_a_message_deleted_twice_is_found_gone_the_second_time(queue: QueueClient) -> None:
    queue.send_message("one")
    [message] = queue.receive_messages(max_messages=1, visibility_timeout=300)

    assert delete_received(queue, message) is True
    assert delete_received(queue, message) is False
    assert queue.peek_messages() == []


def test_a_queue_that_is_gone_still_fails_the_delete(queue: QueueClient) -> None:
    queue.send_message("one")
    [message] = queue.receive_messages(max_messages=1, visibility_timeout=300)
    queue.delete_queue()
    try:
        with pytest.raises(ResourceNotFoundError) as raised:
            delete_received(queue, message)
        assert getattr(raised.value, "error_code", None) == "QueueNotFound"
    finally:
        queue.create_queue()  # for the fixture's own delete
