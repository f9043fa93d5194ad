"""The queue output binding's view of a value.

Sources: queue output binding (learn.microsoft.com/azure/azure-functions/
functions-bindings-storage-queue-output), the host's FunctionBinding.ReadAsEnumerable
(a JSON array string is split into messages; azure-functions-python-worker issue 1492),
the worker's end-to-end queue tests (a func.QueueMessage arrives as its body), and the
queue naming rules (lower case, 3-63 characters, no double hyphen).
"""

from __future__ import annotations

import base64

import pytest

from devstack.host.bindings.queue import QueueOutputError, encode, messages, queue_name


def test_values_to_messages() -> None:
    assert messages("plain") == [b"plain"]
    assert messages(b"\x00raw") == [b"\x00raw"]
    assert messages('["a", "b"]') == [b"a", b"b"]
    assert messages(' {"a": 1} ') == [b' {"a": 1} ']  # a JSON object string: one message
    assert messages(["x", {"id": None, "body": "y"}, {"k": 1}, 5]) == [b"x", b"y", b'{"k":1}', b"5"]
    assert messages({"id": None, "body": "only body"}) == [b"only body"]
    assert messages(None) == []
    with pytest.raises(QueueOutputError, match="null"):
        messages([None])


def test_encoding_and_names() -> None:
    assert base64.b64decode(encode("é".encode(), "base64")) == "é".encode()
    assert encode(b"as is", "none") == "as is"
    assert queue_name("My-Queue") == "my-queue"
    for bad in ("a", "bad--name", "-x-", "under_score"):
        with pytest.raises(QueueOutputError):
            queue_name(bad)
