"""A well-behaved client of the jobs API for rehearsals: retries what a client should retry.

Each submission has its own Idempotency-Key, so repeating it is always safe. Repeated:
a 503 (a dependency is down) or a 409 ``idempotency_in_progress`` after their
``Retry-After`` (capped, to keep runs short), and a connection that failed or was cut (the
host was killed mid-request). Anything else ends the submission. Every response is kept,
for the leak canary.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from devstack.runner import RunningStack

RETRY_AFTER_CAP = 2.0
RETRIED_CODES = {(503, "dependency_unavailable"), (409, "idempotency_in_progress")}


@dataclass
class JobClient:
    stack: RunningStack
    roles: tuple[str, ...] = ("Jobs.Submit",)
    pool: int = 16
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> job id
    refusals: Counter[str] = field(default_factory=Counter)
    responses: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=self.pool)
        self.session.mount("http://", adapter)
        self.token = self.stack.caller_token(*self.roles, lifetime=3600)

    def headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, key: str | None, text: str, *, timeout: float = 120) -> requests.Response:
        response = self.session.post(
            f"{self.stack.api}/jobs",
            data=json.dumps({"text": text}),
            headers=self.headers(key),
            timeout=timeout,
        )
        self.keep(response)
        return response

    def get(self, path: str, *, timeout: float = 60) -> requests.Response:
        response = self.session.get(
            f"{self.stack.api}/{path}", headers=self.headers(), timeout=timeout
        )
        self.keep(response)
        return response

    def keep(self, response: requests.Response) -> None:
        with self.lock:
            self.responses.append(
                f"{response.status_code} {dict(response.headers)} {response.text}"
            )

    def submit(self, key: str, text: str, *, attempts: int = 60) -> str:
        """Submit until accepted; the job id. Fails the test on an answer not worth repeating."""
        for _ in range(attempts):
            try:
                response = self.post(key, text)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                # Refused, reset, or cut while the answer's body was read: the host was
                # killed mid-request, so the answer never fully arrived.
                with self.lock:
                    self.refusals["connection"] += 1
                time.sleep(0.5)
                continue
            if response.status_code == 202:
                job_id: str = response.json()["id"]
                with self.lock:
                    self.accepted[key] = job_id
                return job_id
            code = _error_code(response)
            assert (response.status_code, code) in RETRIED_CODES, response.text
            with self.lock:
                self.refusals[f"{response.status_code} {code}"] += 1
            wait = float(response.headers.get("Retry-After", "1"))
            time.sleep(min(wait, RETRY_AFTER_CAP))
        raise AssertionError(f"submission {key} was never accepted")


def _error_code(response: requests.Response) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None
