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
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy
from requests.adapters import HTTPAdapter

from bench.harness import Bench
from bench.load import JOB
from shared.httpenv import azure_client_keywords, settings_for


class Floor:
    """The goal's floor: the partner call, the job-state write (so that a job answered 202
    can be read at once), and the enqueue: what any durable submission must do."""

    describe = "raw partner + state write + enqueue"
    #: Whether the clients read the environment's proxies and CA bundle once, when built,
    #: as the app's do (shared.httpenv), rather than on every request (requests' default).
    environment_once = False

    def __init__(self, bench: Bench) -> None:
        stack = bench.stack
        queue_options: dict[str, Any] = {"connection_verify": bench.ca}
        if self.environment_once:
            queue_options = {**azure_client_keywords(stack.endpoints["queue"]), **queue_options}
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
            message_encode_policy=TextBase64EncodePolicy(),
            **queue_options,
        )
        self.queue.create_queue()
        self.jobs = bench.blobs.get_container_client("jobs")
        self.ca = bench.ca
        self.session = requests.Session()
        self.session.mount("https://", HTTPAdapter(pool_maxsize=64))
        if self.environment_once:
            blobs = BlobServiceClient(
                stack.endpoints["blob"],
                bench.credential,
                **{**azure_client_keywords(stack.endpoints["blob"]), "connection_verify": bench.ca},
            )
            self.jobs = blobs.get_container_client("jobs")
            self.session.proxies = settings_for(self.url).proxies
            self.session.trust_env = False

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


class EnvironmentOnceFloor(Floor):
    """The floor with its clients built as the app's are: the environment's proxies and CA
    bundle read once, when built, not on every request. Against it, the handler's ratio is
    what the app adds to the floor's three calls, its clients' set-up aside."""

    describe = "the same, clients reading the environment once"
    environment_once = True


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
