"""The queue output binding, as the Storage Queues extension runs it for a Python app.

What the worker sends becomes one or more messages: a list (``Out[list[str]]``) is one
message per item, a ``func.QueueMessage`` is its body, and a *string that is a JSON
array* is also split into one message per item (the host parses strings that look like
JSON; Azure does the same, to many users' surprise). The queue name is lowercased, its
expressions resolved, and the queue created if it does not exist. Messages are encoded
as host.json's ``messageEncoding`` says (base64 by default).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

_QUEUE_NAME = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


class QueueOutputError(ValueError):
    """A value or queue name the queue binding cannot send."""


def queue_name(resolved: str) -> str:
    name = resolved.lower()
    if not _QUEUE_NAME.match(name):
        raise QueueOutputError(f"{resolved!r} is not a valid queue name")
    return name


def _item_bytes(item: Any) -> bytes:
    if item is None:
        raise QueueOutputError("a queue message cannot be null")
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, dict):
        if set(item) == {"id", "body"}:  # func.QueueMessage, as the library sends it
            return str(item["body"]).encode("utf-8")
        return json.dumps(item, separators=(",", ":")).encode("utf-8")
    if isinstance(item, bool):
        return b"True" if item else b"False"
    if isinstance(item, list):
        return json.dumps(item, separators=(",", ":")).encode("utf-8")
    return str(item).encode("utf-8")


def _json_or_none(text: str) -> Any:
    stripped = text.strip()
    if not (
        (stripped.startswith("[") and stripped.endswith("]"))
        or (stripped.startswith("{") and stripped.endswith("}"))
    ):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def messages(value: Any) -> list[bytes]:
    """The message bodies a host value stands for."""
    if value is None:
        return []
    if isinstance(value, str):
        parsed = _json_or_none(value)
        if isinstance(parsed, list):
            return [_item_bytes(item) for item in parsed]
        if isinstance(parsed, dict) and set(parsed) == {"id", "body"}:
            return [_item_bytes(parsed)]
        return [value.encode("utf-8")]
    if isinstance(value, list):
        return [_item_bytes(item) for item in value]
    return [_item_bytes(value)]


def encode(body: bytes, encoding: str) -> str:
    if encoding == "base64":
        return base64.b64encode(body).decode("ascii")
    return body.decode("utf-8", errors="replace")


def send(queue_client: Any, bodies: list[bytes], *, encoding: str) -> None:
    """Send each body; create the queue on first use if it does not exist."""
    for body in bodies:
        content = encode(body, encoding)
        try:
            queue_client.send_message(content)
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):
                queue_client.create_queue()
            queue_client.send_message(content)
