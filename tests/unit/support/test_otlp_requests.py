"""tests/support/otlp_requests.py: spans in the store's shape, made an export request, kept and
read back, are the spans they were; and spans the SDK's own encoder sent come back the same
through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devstack.traces.otlp import PROTOBUF, decode_request
from devstack.traces.store import store_at
from tests.support.otlp_requests import request_bytes, sdk_request, unix_nanos
from tests.unit.devstack.traces.spans import job_trace


def test_spans_go_through_the_store_unchanged(tmp_path: Path) -> None:
    spans: list[dict[str, Any]] = job_trace("5f0c1b6e-7d1f-4c3a-9a59-0d6f3c2b8e11")
    spans[0]["attributes"].update(
        {"ratio": 0.25, "ok": True, "off": False, "tags": ["a", "b"], "nums": [1, 2.5, True]}
    )
    spans[1]["status"] = "ok"
    spans[4]["status_message"] = "it timed out"
    spans[4]["events"] = [
        {"name": "exception", "time": spans[4]["end"], "attributes": {"exception.type": "E"}},
        {"name": "retry", "time": spans[4]["start"], "attributes": {}},
    ]
    spans[5]["links"] = [{"trace_id": "7" * 32, "span_id": "8" * 16, "attributes": {"n": 1}}]
    spans[5]["service"] = "another-service"
    spans[3]["parent_id"] = ""  # a root
    store = store_at(tmp_path)
    store.append_request(request_bytes(spans[:3]))
    store.append_request(request_bytes(spans[3:]))
    assert store.spans() == spans


def test_what_the_sdk_sent_comes_back_the_same_through_the_helper() -> None:
    body = sdk_request()
    sent = decode_request(body, content_type=PROTOBUF)
    assert len(sent) == 2
    assert decode_request(request_bytes(sent), content_type=PROTOBUF) == sent


def test_times_are_read_to_the_microsecond() -> None:
    assert unix_nanos("1970-01-01T00:00:01.000002Z") == 1_000_002_000
    assert unix_nanos("2026-11-02T10:00:00.500000+01:00") == unix_nanos("2026-11-02T09:00:00.5Z")
