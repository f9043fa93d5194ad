"""The raw work of a submission, done directly with the SDKs: the floor P4 holds the
handler to, and the other ways of making a submission crash-safe that were measured
against it (P4x, docs/performance.md "The submission's storage calls").

Every side makes the same partner call (one pooled session shared by every thread, as the
app's partner client has: a session per thread would pay a TLS handshake whenever the load
runner's threads are new, which the app does not) and writes under ``bench-floor/`` of the
jobs container and to a queue of its own, on the same stack as the handler.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests
from azure.keyvault.secrets import SecretClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy
from requests.adapters import HTTPAdapter

from bench.harness import Bench
from bench.load import JOB


class Floor:
    """The goal's floor: the partner call, the job-state write (so that a job answered 202
    can be read at once), and the enqueue: what any durable submission must do."""

    describe = "raw partner + state write + enqueue"

    def __init__(self, bench: Bench) -> None:
        stack = bench.stack
        with stack.as_app():
            self.key = (
                SecretClient(stack.endpoints["vault"], bench.credential)
                .get_secret(stack.endpoints["partner_secret_name"])
                .value
                or ""
            )
        self.url = f"{stack.endpoints['partner']}/v1/analyze"
        self.queue = QueueClient(
            stack.endpoints["queue"],
            f"bench-floor-{uuid.uuid4().hex[:8]}",
            credential=bench.credential,
            connection_verify=bench.ca,
            message_encode_policy=TextBase64EncodePolicy(),
        )
        self.queue.create_queue()
        self.jobs = bench.blobs.get_container_client("jobs")
        self.ca = bench.ca
        self.session = requests.Session()
        self.session.mount("https://", HTTPAdapter(pool_maxsize=64))

    def analyze(self, job_id: str) -> dict[str, Any]:
        response = self.session.post(
            self.url,
            data=JOB,
            timeout=30,
            verify=self.ca,
            headers={
                "X-Api-Key": self.key,
                "Content-Type": "application/json",
                "Idempotency-Key": job_id,
            },
        )
        response.raise_for_status()
        analysis: dict[str, Any] = response.json()
        return analysis

    def write_state(self, job_id: str, analysis: dict[str, Any]) -> None:
        state = {"id": job_id, "status": "queued", "analysis": analysis}
        self.jobs.upload_blob(f"bench-floor/{job_id}.json", json.dumps(state))

    def __call__(self, _: int) -> None:
        job_id = str(uuid.uuid4())
        analysis = self.analyze(job_id)
        self.write_state(job_id, analysis)
        self.queue.send_message(json.dumps({"job_id": job_id}))

    def close(self) -> None:
        self.queue.delete_queue()
        self.session.close()


class MarkerFloor(Floor):
    """An outbox marker blob written before the state and deleted after the enqueue, so a
    crash between the two is found by listing the markers: five calls. With ``delete``
    false the marker is left for the reconciler (or the worker) to drop: the delete taken
    off the request path, four calls."""

    def __init__(self, bench: Bench, *, delete: bool) -> None:
        super().__init__(bench)
        self.delete = delete
        self.describe = "raw partner + marker write + state write + enqueue" + (
            " + marker delete" if delete else " (marker deleted later)"
        )

    def __call__(self, index: int) -> None:
        marker = self.jobs.get_blob_client(f"bench-floor/outbox/{uuid.uuid4()}.json")
        marker.upload_blob(b"{}")
        super().__call__(index)
        if self.delete:
            marker.delete_blob()


class MessageFirstFloor(Floor):
    """The message first, carrying the job, then the state: a crash between the two leaves
    a message the worker can write the state from. Three calls, in the other order, with
    the job's input and analysis in the message."""

    describe = "raw partner + enqueue carrying the job + state write"

    def __call__(self, _: int) -> None:
        job_id = str(uuid.uuid4())
        analysis = self.analyze(job_id)
        job = {"id": job_id, "input": json.loads(JOB), "analysis": analysis}
        self.queue.send_message(json.dumps({"job_id": job_id, "job": job}))
        self.write_state(job_id, analysis)
