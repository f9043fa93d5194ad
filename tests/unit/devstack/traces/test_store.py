"""devstack.traces.store: export requests kept as they came, bounded, decoded when read, and a
job's trace found by its id."""

from __future__ import annotations

import uuid
from pathlib import Path

from devstack.traces.store import LENGTH, SpanStore, store_at
from tests.support.otlp_requests import request_bytes
from tests.unit.devstack.traces.spans import job_trace, span


def test_a_job_trace_is_the_trace_its_submit_send_and_delivery_belong_to(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.otlp")
    job = str(uuid.uuid4())
    store.append_request(request_bytes(job_trace(job)))
    # A later GET of the job reads it in a trace of its own: not the job's trace.
    poll = span("9" * 16, "", "jobstore get", 500, 510, **{"app.job.id": job})
    poll["trace_id"] = "1" * 32
    other = job_trace(str(uuid.uuid4()))
    for item in other:
        item["trace_id"] = "2" * 32
    store.append_request(request_bytes([poll, *other]))
    found = store.job_trace(job)
    assert {s["trace_id"] for s in found} == {job_trace(job)[0]["trace_id"]}
    assert [s["name"] for s in found][:3] == ["POST /api/jobs", "partner POST", "vault get secret"]
    assert store.job_trace(str(uuid.uuid4())) == []


def test_a_request_is_kept_as_one_length_prefixed_record(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    body = request_bytes(job_trace("j"))
    store.append_request(body)
    store.append_request(b"")  # no spans: nothing kept
    assert store.path == tmp_path / "traces" / "spans.otlp"
    assert store.path.read_bytes() == LENGTH.pack(len(body)) + body


def test_a_record_cut_short_or_not_parsing_is_skipped(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.otlp")
    store.append_request(request_bytes(job_trace("j")))
    with store.path.open("ab") as out:
        out.write(LENGTH.pack(2) + b"\xff\xff")  # whole, but not a request
    store.append_request(request_bytes(job_trace("k")))
    body = request_bytes(job_trace("cut"))
    with store.path.open("ab") as out:
        out.write(LENGTH.pack(len(body)) + body[:-1])  # the stack killed mid-write
    assert len(store.spans()) == 2 * len(job_trace("j"))
    assert SpanStore(store.path).job_trace("cut") == []


def test_a_record_cut_short_is_dropped_by_the_next_stack_before_it_appends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "spans.otlp"
    body = request_bytes(job_trace("cut"))
    SpanStore(path).append_request(request_bytes(job_trace("j")))
    with path.open("ab") as out:
        out.write(LENGTH.pack(len(body)) + body[: len(body) // 2])
    again = SpanStore(path)  # a stack started again on the same state directory
    again.append_request(request_bytes(job_trace("k")))
    assert {s["attributes"].get("app.job.id") for s in again.spans()} == {"j", "k", None}


def test_reading_again_decodes_only_what_was_added(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.otlp")
    store.append_request(request_bytes(job_trace("j")))
    first = store.spans()
    store.append_request(request_bytes(job_trace("k")))
    second = store.spans()
    assert len(second) == 2 * len(first)
    assert all(a is b for a, b in zip(first, second, strict=False))  # not decoded again
    assert second == SpanStore(store.path).spans()  # as a fresh reader (the CLI) finds them


def test_past_its_bound_the_file_rolls_over_once(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.otlp", max_bytes=2000)
    batches = [job_trace(str(uuid.uuid4())) for _ in range(12)]
    for batch in batches:
        store.append_request(request_bytes(batch))
        # A reader following the rotations finds what a fresh one (the CLI) does.
        assert store.spans() == SpanStore(store.path).spans()
    assert store.previous == tmp_path / "spans.1.otlp"
    assert store.previous.exists()
    assert store.path.stat().st_size + store.previous.stat().st_size < 2 * 2000 + 4000
    kept = {s["attributes"].get("app.job.id") for s in store.spans()}
    assert batches[-1][0]["attributes"]["app.job.id"] in kept  # the newest are kept
    assert batches[0][0]["attributes"]["app.job.id"] not in kept  # the oldest are gone
