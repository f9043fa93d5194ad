"""devstack.traces.store: spans kept one a line, bounded, and a job's trace found by its id."""

from __future__ import annotations

import uuid
from pathlib import Path

from devstack.traces.store import SpanStore
from tests.unit.devstack.traces.spans import job_trace, span


def test_a_job_trace_is_the_trace_its_submit_send_and_delivery_belong_to(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.jsonl")
    job = str(uuid.uuid4())
    store.append(job_trace(job))
    # A later GET of the job reads it in a trace of its own: not the job's trace.
    poll = span("9" * 16, "", "jobstore get", 500, 510, **{"app.job.id": job})
    poll["trace_id"] = "1" * 32
    other = job_trace(str(uuid.uuid4()))
    for item in other:
        item["trace_id"] = "2" * 32
    store.append([poll, *other])
    found = store.job_trace(job)
    assert {s["trace_id"] for s in found} == {job_trace(job)[0]["trace_id"]}
    assert [s["name"] for s in found][:3] == ["POST /api/jobs", "partner POST", "vault get secret"]
    assert store.job_trace(str(uuid.uuid4())) == []


def test_a_damaged_line_is_skipped(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.jsonl")
    store.append(job_trace("j"))
    with store.path.open("a") as out:
        out.write("{not json\n[1]\n")
    assert len(store.spans()) == len(job_trace("j"))


def test_past_its_bound_the_file_rolls_over_once(tmp_path: Path) -> None:
    store = SpanStore(tmp_path / "spans.jsonl", max_bytes=2000)
    batches = [job_trace(str(uuid.uuid4())) for _ in range(6)]
    for batch in batches:
        store.append(batch)
    assert store.previous.exists()
    assert store.path.stat().st_size + store.previous.stat().st_size < 2 * 2000 + 4000
    kept = {s["attributes"].get("app.job.id") for s in store.spans()}
    assert batches[-1][0]["attributes"]["app.job.id"] in kept  # the newest are kept
    assert batches[0][0]["attributes"]["app.job.id"] not in kept  # the oldest are gone
