"""shared.jobs._model: a job's record as stored and what the API shows of it."""

from __future__ import annotations

import json

from shared.jobs import JobRecord, now, request_hash


def test_request_hash_ignores_key_order_but_not_values() -> None:
    assert request_hash({"a": 1, "b": 2}) == request_hash({"b": 2, "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 2})


def test_public_view_hides_owner_and_internal_error() -> None:
    record = JobRecord(
        id="j",
        owner="secret-owner",
        status="failed",
        input={"text": "t"},
        request_hash="h",
        created=now(),
        updated=now(),
        reason="processing failed",
        last_error="detail",
    )
    view = record.public()
    assert view["reason"] == "processing failed"
    assert "secret-owner" not in json.dumps(view)
    assert "detail" not in json.dumps(view)
