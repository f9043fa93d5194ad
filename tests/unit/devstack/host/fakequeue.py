"""An in-memory Storage queue service with the calls the devstack host's listener makes.

Receiving hides a message until it is deleted or released; each receive is recorded with
the number of messages asked for, so a test can see what the listener asked and when.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from azure.storage.queue import QueueMessage


@dataclass
class UpdateReceipt:
    pop_receipt: str


class FakePages:
    def __init__(self, page: list[QueueMessage]) -> None:
        self._page = page

    def by_page(self) -> Iterator[list[QueueMessage]]:
        yield self._page


@dataclass
class FakeQueue:
    queue_name: str
    visible: deque[QueueMessage] = field(default_factory=deque)
    invisible: dict[str, QueueMessage] = field(default_factory=dict)
    receives: list[int] = field(default_factory=list)  # messages asked for, per receive
    returned: list[int] = field(default_factory=list)  # messages given, per receive
    deleted: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send_message(self, content: Any, **_: Any) -> None:
        message = QueueMessage(content=content)
        message.id = str(uuid.uuid4())
        message.dequeue_count = 0
        with self.lock:
            self.visible.append(message)

    def create_queue(self, **_: Any) -> None:
        return None

    def receive_messages(
        self, *, messages_per_page: int, visibility_timeout: int, **_: Any
    ) -> FakePages:
        with self.lock:
            self.receives.append(messages_per_page)
            page: list[QueueMessage] = []
            while self.visible and len(page) < messages_per_page:
                message = self.visible.popleft()
                message.dequeue_count = (message.dequeue_count or 0) + 1
                message.pop_receipt = str(uuid.uuid4())
                self.invisible[message.id] = message
                page.append(message)
            self.returned.append(len(page))
        return FakePages(page)

    def delete_message(self, message_id: str, pop_receipt: str | None = None, **_: Any) -> None:
        with self.lock:
            self.invisible.pop(message_id, None)
            self.deleted.append(message_id)

    def update_message(self, message_id: str, **kwargs: Any) -> UpdateReceipt:
        with self.lock:
            message = self.invisible.get(message_id)
            if message is not None and kwargs.get("visibility_timeout") == 0:
                del self.invisible[message_id]
                self.visible.append(message)
        return UpdateReceipt(pop_receipt=str(uuid.uuid4()))


class FakeQueueService:
    """Queues by name, created on first use."""

    def __init__(self) -> None:
        self.queues: dict[str, FakeQueue] = {}
        self._lock = threading.Lock()

    def get_queue_client(self, name: str) -> FakeQueue:
        with self._lock:
            return self.queues.setdefault(name, FakeQueue(name))
