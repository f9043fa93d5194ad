"""P5: the queue drain through the function host against the same work done by the SDK loop."""

from __future__ import annotations

import json
import math
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from bench import progress
from bench.harness import Bench
from bench.load import JOB, run_concurrently
from bench.report import Row
from shared.jobs import COMPLETED, JobRecord, JobStore, now, request_hash


def _seed_jobs(bench: Bench, count: int) -> list[str]:
    blobs = bench.blobs.get_container_client("jobs")
    body = {"text": JOB.decode()}
    ids = [str(uuid.uuid4()) for _ in range(count)]

    def seed(index: int) -> None:
        stamp = now()
        record = JobRecord(
            id=ids[index],
            owner="bench",
            status="queued",
            input=body,
            request_hash=request_hash(body),
            created=stamp,
            updated=stamp,
            analysis={"language": None, "sentiment": "neutral"},
        )
        blobs.upload_blob(f"{record.id}.json", json.dumps(record._asdict()))

    run_concurrently(seed, count=count, concurrency=16)
    return ids


def _completion_rate(bench: Bench, ids: list[str]) -> float:
    """Jobs per second between the first and the last completion, from the results' own
    timestamps: steady-state throughput, the same yardstick for the host and the raw loop."""
    results = bench.blobs.get_container_client("results")
    stamps: list[float] = [0.0] * len(ids)

    def read(index: int) -> None:
        result = json.loads(results.download_blob(f"{ids[index]}.json").readall())
        stamps[index] = datetime.fromisoformat(result["completed"]).timestamp()

    run_concurrently(read, count=len(ids), concurrency=16)
    return (len(ids) - 1) / max(1e-3, max(stamps) - min(stamps))


def _raw_drain(bench: Bench, ids: list[str]) -> None:
    """Receive, process exactly as the worker does, delete: the SDK loop with 16 threads."""
    from blueprints.worker import compute_result

    store = JobStore(
        jobs=bench.blobs.get_container_client("jobs"),
        results=bench.blobs.get_container_client("results"),
    )
    queue = QueueClient(
        bench.stack.endpoints["queue"],
        "bench-raw",
        credential=bench.credential,
        connection_verify=bench.ca,
    )
    queue.create_queue()
    for job_id in ids:
        queue.send_message(job_id)
    done = 0

    def handle(message: Any) -> None:
        found = store.get(message.content)
        if found is None:
            raise RuntimeError("job missing")
        record = store.update(found[0].id, lambda r: r.evolve(status="processing"))
        if record is None:
            raise RuntimeError("job missing")
        name = store.write_result(record.id, compute_result(record))
        store.update(record.id, lambda r: r.evolve(status=COMPLETED, result=name))
        queue.delete_message(message)

    with ThreadPoolExecutor(max_workers=16) as pool:
        while done < len(ids):
            # One Get Messages call per batch, as the host's listener makes (without
            # messages_per_page the SDK asks one message per call).
            pages = queue.receive_messages(messages_per_page=16, visibility_timeout=600)
            batch = list(next(pages.by_page(), []))
            list(pool.map(handle, batch))
            done += len(batch)
    queue.delete_queue()


def _host_drain(bench: Bench, ids: list[str]) -> None:
    """Queue every job for the host's worker, all visible at the same moment (sent with a
    delay), so the host drains a full queue as the raw loop does."""
    queue = QueueClient(
        bench.stack.endpoints["queue"],
        "jobs",
        credential=bench.credential,
        connection_verify=bench.ca,
        message_encode_policy=TextBase64EncodePolicy(),
    )
    visible_at = time.time() + 5 + len(ids) / 100

    def send(i: int) -> None:
        delay = max(1, math.ceil(visible_at - time.time()))
        queue.send_message(
            json.dumps({"schema": "jobs.v1", "job_id": ids[i]}), visibility_timeout=delay
        )

    run_concurrently(send, count=len(ids), concurrency=16)
    deadline = time.monotonic() + 600
    while queue.get_queue_properties().approximate_message_count:
        if time.monotonic() > deadline:
            raise RuntimeError("the host did not drain the queue within 10 minutes")
        time.sleep(0.5)


def queue_drain(bench: Bench, count: int = 300) -> Row:
    count = bench.n(count)
    raw_ids = _seed_jobs(bench, count)
    progress.note(f"{count} jobs seeded; the raw SDK loop drains them")
    _raw_drain(bench, raw_ids)
    raw_rate = _completion_rate(bench, raw_ids)
    host_ids = _seed_jobs(bench, count)
    progress.note(f"raw loop {raw_rate:.0f} jobs/s; the host drains {count} more")
    _host_drain(bench, host_ids)
    host_rate = _completion_rate(bench, host_ids)
    ratio = host_rate / raw_rate
    return Row(
        "P5",
        f"queue drain of {count} jobs through the host",
        f"{host_rate:.0f} jobs/s",
        f"{raw_rate:.0f} jobs/s (raw SDK loop, 16 threads)",
        ratio,
        ">= 0.8x",
        ratio >= 0.8,
        {"host_jobs_per_s": host_rate, "raw_jobs_per_s": raw_rate},
    )
