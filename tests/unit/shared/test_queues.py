"""shared.queues: the one decision of how queue messages are encoded, and what holds to it.

host.json is read the way the host reads it (the devstack host's reader: host.json, then
``AzureFunctionsJobHost__`` app settings over it), so the jobs app's host and the rotation
app's setting are each held to their value here; the app's queue client is held to the
jobs app's by encoding a message with it and decoding it as that host does. The Bicep
side is in tests/infra/test_rotation_infra.py.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import shared.storage
from devstack.host.config import load_host_config
from devstack.runner import ROOT
from shared.jobs import MAX_MESSAGE_BYTES, JobMessage
from shared.queues import (
    EVENTS_ENCODING,
    HOST_ENCODINGS,
    JOBS_ENCODING,
    payload_limit,
    poison_queue,
)
from shared.settings import QUEUES_MESSAGE_ENCODING, SettingsError


def test_host_json_says_the_jobs_encoding_itself() -> None:
    """Said, not left to the default: a default is a decision made somewhere else."""
    document = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    assert document["extensions"]["queues"]["messageEncoding"] == JOBS_ENCODING
    assert load_host_config(ROOT, {}).queues.message_encoding == JOBS_ENCODING


def test_the_rotation_apps_setting_turns_the_host_to_the_events_encoding() -> None:
    environ = {QUEUES_MESSAGE_ENCODING.name: EVENTS_ENCODING}
    assert load_host_config(ROOT, environ).queues.message_encoding == EVENTS_ENCODING
    assert EVENTS_ENCODING != JOBS_ENCODING, "else the setting would be needless"


def test_the_setting_takes_the_hosts_values_and_nothing_else() -> None:
    for encoding in HOST_ENCODINGS:
        assert QUEUES_MESSAGE_ENCODING.read({QUEUES_MESSAGE_ENCODING.name: encoding}) == encoding
    with pytest.raises(SettingsError):
        QUEUES_MESSAGE_ENCODING.read({QUEUES_MESSAGE_ENCODING.name: "utf8"})


class _Service:
    def __init__(self) -> None:
        self.options: dict[str, Any] = {}

    def get_queue_client(self, name: str, **options: Any) -> dict[str, Any]:
        self.options = options
        return options


def host_decodes(encoding: str, text: str) -> bytes:
    """What the host hands the trigger for a message body ``text``: base64 decoded, or the
    text as it is."""
    return base64.b64decode(text, validate=True) if encoding == "base64" else text.encode()


def test_the_queue_client_writes_what_the_jobs_host_decodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = _Service()
    monkeypatch.setattr(shared.storage, "queue_service", lambda: service)
    shared.storage.queue.cache_clear()
    try:
        shared.storage.queue()
    finally:
        shared.storage.queue.cache_clear()
    message = JobMessage("00000000-0000-4000-8000-000000000000").encode()
    policy = service.options.get("message_encode_policy")
    sent = message if policy is None else policy(message)
    assert host_decodes(JOBS_ENCODING, sent) == message.encode()
    assert sent != message or JOBS_ENCODING == "none"


def test_a_message_at_the_jobs_limit_still_fits_a_queue_message_once_encoded() -> None:
    assert payload_limit(JOBS_ENCODING) == MAX_MESSAGE_BYTES
    encoded = base64.b64encode(b"x" * payload_limit("base64"))
    assert len(encoded) == 64 * 1024
    assert payload_limit("none") == 64 * 1024
    with pytest.raises(ValueError, match="base64 or none"):
        payload_limit("utf8")


def test_the_poison_queue_is_named_as_the_host_names_it() -> None:
    assert poison_queue("jobs") == "jobs-poison"
    assert poison_queue(shared.storage.JOBS_QUEUE) == shared.storage.POISON_QUEUE
