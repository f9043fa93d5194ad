"""One trace per job, on the local stack: the real host, queue, worker, vault and partner.

A job submitted with a ``traceparent`` of the caller's is followed through the spans the
stack received over OTLP: one trace id from the HTTP request to the worker's completion,
holding the vault read, the partner call, the state writes and the enqueue, each under the
span that made it; the worker's delivery under the send whose context its message carried
(the OpenTelemetry messaging conventions' creation context,
https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/#consumer-spans: a
process span links to it; with one message per delivery it is also the parent, so the
trace is one). The same trace in the terminal (``python -m devstack trace``, both formats)
and on the control plane's page, read in a real headless chromium.

A job whose request ended after its message, before its state, is written by the worker in
the message's trace, which its record keeps. On the rehearsal stack (the outbox every 2 s,
a resend after 5 s): a job cut off before its message was sent, resent by the reconciler,
and a job whose every delivery fails until the poison queue takes it, each stay in the trace
of the request that accepted them. Both
stacks' leak canaries search the spans file with everything else they wrote.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import uuid
from typing import Any

import pytest
from azure.storage.queue import TextBase64EncodePolicy

from devstack.runner import ROOT, RunningStack
from devstack.tokens import DEV_CALLER_OBJECT_ID
from devstack.traces.store import store_at
from shared.jobs import QUEUED, JobMessage, JobRecord, JobStore, Outbox, now, request_hash
from tests.integration.conftest import Rehearsal
from tests.support.browser import Browser
from tests.support.jobsapi import Api
from tests.support.waiting import eventually

Spans = list[dict[str, Any]]


def trace_of(stack: RunningStack, job_id: str, *, done: str) -> Spans:
    """The job's spans once a ``process`` span says ``done`` (spans arrive in batches)."""

    def settled() -> Spans | None:
        spans = store_at(stack.state_dir).job_trace(job_id)
        finished = [
            s for s in spans if s["kind"] == "consumer" and done in json.dumps(s["attributes"])
        ]
        return spans if finished else None

    found: Spans = eventually(settled, timeout=90, interval=0.5)
    return found


def named(spans: Spans, name: str) -> Spans:
    return [s for s in spans if s["name"] == name]


def one(spans: Spans, name: str) -> dict[str, Any]:
    (found,) = named(spans, name)
    return found


def fresh_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Api:
    return Api(stack)


def test_a_job_is_one_trace_from_the_request_to_the_worker(api: Api, stack: RunningStack) -> None:
    trace_id, traceparent = fresh_traceparent()
    headers = {**api.headers("Jobs.Submit"), "traceparent": traceparent}
    answer = api.session.post(
        f"{api.base}/jobs",
        json={"text": "follow me through the queue"},
        headers=headers,
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    api.wait_for(job_id, "completed", timeout=90)
    spans = trace_of(stack, job_id, done="completed")

    assert {s["trace_id"] for s in spans} == {trace_id}
    submit = one(spans, "POST /api/jobs")
    assert submit["kind"] == "server"
    assert submit["attributes"]["app.job.id"] == job_id
    assert submit["attributes"]["http.response.status_code"] == 202
    assert submit["parent_id"] not in ("", traceparent.split("-")[2])  # the host's invocation
    partner = one(spans, "partner POST")
    assert partner["parent_id"] == submit["span_id"]
    assert partner["attributes"]["http.response.status_code"] == 200
    assert partner["attributes"]["app.partner.attempts"] >= 1
    # The key came from the vault (a span of its own) or from memory (said on the partner's).
    vault = named(spans, "vault get secret")
    assert all(v["parent_id"] == partner["span_id"] for v in vault)
    assert {v["attributes"]["app.vault.cache"] for v in vault} <= {"miss", "stale"}
    assert vault or partner["attributes"]["app.vault.cache"] == "hit"
    send = one(spans, "send jobs")
    assert send["kind"] == "producer"
    assert send["parent_id"] == submit["span_id"]
    assert send["attributes"]["messaging.destination.name"] == "jobs"
    # A new job's message goes first, carrying the job; then the request writes its state.
    (write,) = [s for s in named(spans, "jobstore create") if s["parent_id"] == submit["span_id"]]
    assert send["end"] <= write["start"]
    assert not named(spans, "outbox hold")  # no marker on this way
    process = one(spans, "process jobs")
    assert process["kind"] == "consumer"
    assert process["parent_id"] == send["span_id"]
    assert {(link["trace_id"], link["span_id"]) for link in process["links"]} >= {
        (trace_id, send["span_id"])
    }
    worker = [s for s in spans if s["parent_id"] == process["span_id"]]
    statuses = [
        s["attributes"]["app.job.status"]
        for s in worker
        if s["name"] == "jobstore update" and "app.job.status" in s["attributes"]
    ]
    assert statuses[-1] == "completed"
    # Started by an update, or written started from the message when the worker was first.
    assert "processing" in statuses or "jobstore create" in {s["name"] for s in worker}
    assert one(spans, "jobstore write result")["parent_id"] == process["span_id"]
    assert json.dumps(spans).count(job_id) >= 4
    assert "follow me" not in json.dumps(spans)  # never the job's text

    command = [sys.executable, "-m", "devstack", "--state-dir", str(stack.state_dir), "trace"]
    text = subprocess.run(
        [*command, job_id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert f"trace {trace_id}:" in text
    assert text.index("POST /api/jobs") < text.index("process jobs")
    printed = subprocess.run(
        [*command, job_id, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert {s["span_id"] for s in json.loads(printed)["spans"]} >= {s["span_id"] for s in spans}

    with Browser() as browser:
        browser.open(stack.control(f"traces/{job_id}"))
        rows = browser.evaluate(
            "[...document.querySelectorAll('li.row .name')].map(n => n.textContent)"
        )
        assert rows[0] == "POST /api/jobs"
        assert {"partner POST", "send jobs", "process jobs"} <= set(rows)
        assert browser.evaluate("document.querySelector('p.meta').textContent").startswith(
            f"trace {trace_id}"
        )


def _store(stack: RunningStack) -> JobStore:
    blobs = stack.blob_service()
    return JobStore(
        jobs=blobs.get_container_client("jobs"), results=blobs.get_container_client("results")
    )


def _accepted_job(stack: RunningStack, traceparent: str, text: str = "cut off") -> JobRecord:
    """A queued job as a submit request writes it, the request's ``traceparent`` kept."""
    body = {"text": f"{text} {uuid.uuid4().hex[:8]}"}
    record = JobRecord(
        id=str(uuid.uuid4()),
        owner=DEV_CALLER_OBJECT_ID,
        status=QUEUED,
        input=body,
        request_hash=request_hash(body),
        created=now(),
        updated=now(),
        analysis={"analysis_id": str(uuid.uuid4()), "language": "en"},
        traceparent=traceparent,
    )
    return record


def test_a_job_resent_by_the_outbox_stays_in_its_trace(rehearsal: Rehearsal) -> None:
    stack = rehearsal.stack
    trace_id, traceparent = fresh_traceparent()
    record = _accepted_job(stack, traceparent)
    _store(stack).create(record)
    Outbox(
        jobs=stack.blob_service().get_container_client("jobs"),
        queue=stack.queue_service().get_queue_client("jobs"),
    ).hold(record.id)  # the request died here: no message was ever sent
    spans = trace_of(stack, record.id, done="completed")
    assert {s["trace_id"] for s in spans} == {trace_id}
    send = one(spans, "send jobs")
    assert send["parent_id"] == traceparent.split("-")[2]  # the accepting request's span
    reconcile = [link["span_id"] for link in send.get("links", [])]
    assert reconcile, "the resend names the reconciler run that sent it"
    assert one(spans, "process jobs")["parent_id"] == send["span_id"]


def test_a_job_written_from_its_message_keeps_the_trace_for_later_sends(
    stack: RunningStack,
) -> None:
    """The request sent the job's message (carrying the job) and ended before writing its
    state: the worker writes it from the message, in the message's trace, and the record
    keeps that trace for whatever sends the job again (a replay, a retry, the outbox)."""
    trace_id, traceparent = fresh_traceparent()
    record = _accepted_job(stack, traceparent, "never written")._replace(traceparent=None)
    message = JobMessage(record.id, job=record, traceparent=traceparent).encode()
    stack.queue_service().get_queue_client(
        "jobs", message_encode_policy=TextBase64EncodePolicy()
    ).send_message(message)
    spans = trace_of(stack, record.id, done="completed")
    assert {s["trace_id"] for s in spans} == {trace_id}
    process = one(spans, "process jobs")
    assert process["parent_id"] == traceparent.split("-")[2]
    written = [s for s in named(spans, "jobstore create") if s["parent_id"] == process["span_id"]]
    assert len(written) == 1
    found = _store(stack).get(record.id)
    assert found is not None
    assert found[0].traceparent == traceparent


def test_every_delivery_of_a_failing_job_and_its_poisoning_stay_in_its_trace(
    rehearsal: Rehearsal,
) -> None:
    stack = rehearsal.stack
    trace_id, traceparent = fresh_traceparent()
    record = _accepted_job(stack, traceparent)._replace(input={"text": ""})  # always fails
    _store(stack).create(record)
    message = JobMessage(record.id, traceparent=traceparent).encode()
    stack.queue_service().get_queue_client(
        "jobs", message_encode_policy=TextBase64EncodePolicy()
    ).send_message(message)

    def poisoned() -> Spans | None:
        found = store_at(stack.state_dir).job_trace(record.id)
        return found if named(found, "process jobs-poison") else None

    spans = eventually(poisoned, timeout=90, interval=0.5)
    assert {s["trace_id"] for s in spans} == {trace_id}
    deliveries = named(spans, "process jobs")
    assert len(deliveries) == 5  # maxDequeueCount: every redelivery after a failure
    assert sorted(d["attributes"]["app.delivery.count"] for d in deliveries) == [1, 2, 3, 4, 5]
    assert all(d["status"] == "error" for d in deliveries)
    assert all(d["parent_id"] == traceparent.split("-")[2] for d in deliveries)
    assert one(spans, "process jobs-poison")["parent_id"] == traceparent.split("-")[2]
