"""How the app's queue messages are encoded: decided here, once, for the host and the senders.

The Functions host decodes a queue message before a trigger sees it, as its
``extensions.queues.messageEncoding`` says: ``base64`` (the default) or ``none``
(learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue, host.json
settings); a message it cannot decode is poisoned without running the function. Whoever
writes a queue the app reads must therefore write what that app's host decodes:

* the jobs queue: :data:`JOBS_ENCODING`. ``host.json`` says it (a test holds the file to
  this value) and the app's queue client encodes it (:func:`shared.storage.queue`);
* the rotation app's ``key-events`` queue in Azure: :data:`EVENTS_ENCODING`. Event Grid
  writes it, and deliveries have been seen both as plain JSON and as base64, so that host
  passes the text through untouched and :func:`shared.rotation.parse_message` reads either.
  ``infra/modules/rotation.bicep`` sets it with the app setting
  :data:`shared.settings.QUEUES_MESSAGE_ENCODING` names (a test holds the template to it).
  On the devstack one host runs both apps with ``host.json``'s encoding, and its Event Grid
  stand-in writes base64.

A queue message holds at most 64 KiB (learn.microsoft.com/azure/storage/queues/
storage-queues-introduction); base64 turns every 3 bytes into 4, so a base64 queue carries
48 KiB of payload (:func:`payload_limit`). A message the host cannot handle is moved to
``<queue>-poison`` (:func:`poison_queue`, functions-bindings-storage-queue-trigger,
"Poison messages").
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EVENTS_ENCODING",
    "EVENTS_QUEUE",
    "HOST_ENCODINGS",
    "JOBS_ENCODING",
    "MAX_MESSAGE_BYTES",
    "payload_limit",
    "poison_queue",
]

#: The values the host's ``messageEncoding`` takes.
HOST_ENCODINGS: Final = ("base64", "none")
#: The jobs app: its host.json and its queue client.
JOBS_ENCODING: Final[str] = "base64"
#: The queue Event Grid delivers the vault's events to, on the rotation app's host storage.
EVENTS_QUEUE: Final = "key-events"
#: The rotation app in Azure: its host hands ``parse_message`` the text Event Grid wrote.
EVENTS_ENCODING: Final[str] = "none"
#: The largest message a Storage queue holds, encoded.
MAX_MESSAGE_BYTES: Final = 64 * 1024


def payload_limit(encoding: str) -> int:
    """The most bytes of payload one message carries in ``encoding``."""
    if encoding not in HOST_ENCODINGS:
        raise ValueError(f"a queue message is encoded {' or '.join(HOST_ENCODINGS)}")
    return MAX_MESSAGE_BYTES * 3 // 4 if encoding == "base64" else MAX_MESSAGE_BYTES


def poison_queue(queue: str) -> str:
    """Where the host moves a message of ``queue`` once ``maxDequeueCount`` is spent."""
    return f"{queue}-poison"
