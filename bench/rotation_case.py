"""P10: jobs keep flowing while the partner key rotates twice (docs/rotation.md).

A stack of its own with a short secret cache (2 s) and grace (6 s): ``JOBS`` jobs are
submitted at a fixed concurrency while the vault's near-expiry event rotates the key twice
(a third and two thirds of the way). Measured against the same run: the submission latency
while a rotation is in flight, as a ratio to the latency outside it; vault reads beyond the
cache's own refreshes (goal: at most one per rotation per instance); 401s at the partner
(goal: none, the grace outlives every cached copy). :func:`drive` is also the load of the
fault suite's ``tests/faults/test_rotation_under_load.py``, which asserts on its outcome.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.report import Row
from devstack import rehearsal
from devstack.runner import RunningStack, running_stack

SETTINGS = {
    "SECRET_CACHE_TTL_SECONDS": "2",
    "ROTATION_GRACE_SECONDS": "6",
    "ROTATION_CLOCK_SKEW_SECONDS": "1",
    "ROTATION_SCHEDULE": "0 0 0 1 1 *",
}
TTL_SECONDS = 2.0
JOBS = 1000
CONCURRENCY = 16
#: The rotation's own vault reads per rotation: the current version, and the check after
#: the write (only when a write fails); the listing of versions is another operation.
ROTATION_GETS = 2


@dataclass
class Outcome:
    """What a run under rotation saw."""

    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> job id
    refused: list[int] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    windows: list[tuple[float, float]] = field(default_factory=list)  # rotations in flight
    versions: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    results: set[str] = field(default_factory=set)
    partner: dict[str, Any] = field(default_factory=dict)
    vault_gets: int = 0
    duration: float = 0.0

    def latency_ratio(self) -> float:
        inside = [s for t, s in self.latencies if any(a <= t <= b for a, b in self.windows)]
        outside = [s for t, s in self.latencies if not any(a <= t <= b for a, b in self.windows)]
        if not inside or not outside:
            return 1.0
        return statistics.median(inside) / statistics.median(outside)

    def extra_vault_reads(self) -> float:
        """Reads beyond the cache's refreshes (one per TTL) and the rotations' own."""
        refreshes = math.ceil(self.duration / TTL_SECONDS) + 1
        return self.vault_gets - refreshes - ROTATION_GETS * len(self.windows)


def drive(
    stack: RunningStack, *, jobs: int = JOBS, rotations: int = 2, say: Any = print
) -> Outcome:
    """Submit ``jobs`` while ``rotations`` rotations happen; wait until every job settles."""
    outcome = Outcome()
    lock = threading.Lock()
    for piece in ("partner", "vault"):
        requests.delete(stack.control(f"stats/{piece}"), timeout=10)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=CONCURRENCY))
    token = stack.caller_token("Jobs.Submit", lifetime=7200)
    started = time.monotonic()

    def submit(index: int) -> None:
        key = f"rotation-load-{index}-{uuid.uuid4().hex[:8]}"
        sent = time.monotonic()
        response = session.post(
            f"{stack.api}/jobs",
            data=json.dumps({"text": f"job {index} while the key rotates"}),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
            timeout=120,
        )
        with lock:
            outcome.latencies.append((sent, time.monotonic() - sent))
            outcome.responses.append(f"{response.status_code} {response.text}")
            if response.status_code == 202:
                outcome.accepted[key] = response.json()["id"]
            else:
                outcome.refused.append(response.status_code)

    def rotate() -> None:
        for turn in range(rotations):
            while len(outcome.latencies) < jobs * (turn + 1) / (rotations + 1):
                time.sleep(0.05)
            before = rehearsal.make_near_expiry(stack.endpoints)
            began = time.monotonic()
            after = rehearsal.wait_for_rotation(stack.endpoints, before.version or "")
            outcome.windows.append((began, time.monotonic()))
            outcome.versions.append(after.version or "")
            say(f"rotation {turn + 1}: {before.version} -> {after.version}")

    rotator = threading.Thread(target=rotate, name="rotations")
    rotator.start()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        list(pool.map(submit, range(jobs)))
    rotator.join(timeout=120)
    outcome.duration = time.monotonic() - started
    outcome.partner = stack.stats("partner")
    outcome.vault_gets = int(stack.stats("vault")["get_secret"])
    _settle(stack, outcome)
    return outcome


def _settle(stack: RunningStack, outcome: Outcome, timeout: float = 300.0) -> None:
    """Wait until every accepted job is completed or failed; read the result blobs."""
    blobs = stack.blob_service()
    jobs = blobs.get_container_client("jobs")
    wanted = set(outcome.accepted.values())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for blob in jobs.list_blobs():
            name = blob.name.removesuffix(".json")
            if "/" in blob.name or name not in wanted:
                continue
            if outcome.statuses.get(name) in ("completed", "failed"):
                continue
            outcome.statuses[name] = json.loads(jobs.download_blob(blob.name).readall())["status"]
        if all(outcome.statuses.get(j) in ("completed", "failed") for j in wanted):
            break
        time.sleep(1.0)
    results = blobs.get_container_client("results")
    outcome.results = {b.name.removesuffix(".json") for b in results.list_blobs()}


def run(main: Any) -> list[Row]:
    """The benchmark: its own stack, ``JOBS`` (scaled) jobs, two rotations."""
    jobs = max(100, round(JOBS * getattr(main, "scale", 1.0)))
    with (
        tempfile.TemporaryDirectory(prefix="bench-p10-") as state,
        running_stack(Path(state), app_settings=SETTINGS) as stack,
    ):
        outcome = drive(stack, jobs=jobs)
    settled = sum(s in ("completed", "failed") for s in outcome.statuses.values())
    ratio = outcome.latency_ratio()
    return [
        Row(
            "P10",
            f"POST /api/jobs median latency during a rotation ({jobs} jobs, 2 rotations)",
            f"x{ratio:.2f}",
            "the same run outside the rotations",
            ratio,
            "<= 1.5 and no job refused or lost",
            ratio <= 1.5 and not outcome.refused and settled == jobs,
            {"refused": len(outcome.refused), "settled": settled, "duration_s": outcome.duration},
        ),
        Row(
            "P10v",
            "vault reads beyond the cache's refreshes and the rotations' own",
            str(outcome.extra_vault_reads()),
            f"{len(outcome.windows)} rotation(s) x 1 instance",
            None,
            "<= 1 per rotation per instance; 0 partner 401s",
            outcome.extra_vault_reads() <= len(outcome.windows)
            and outcome.partner.get("unauthorized", 0) == 0,
            {"vault_gets": outcome.vault_gets, "partner_401": outcome.partner.get("unauthorized")},
        ),
    ]
