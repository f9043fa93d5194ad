"""A caller of the jobs API, as a client application would be, for tests on a stack.

Every response it receives is kept for the leak canary (tests/support/canary.py), which
searches them when the session's stack stops.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from devstack.runner import RunningStack
from tests.support import canary
from tests.support.waiting import eventually


class Api:
    """A caller of the API that records every response (the leak canary searches them)."""

    def __init__(self, stack: RunningStack) -> None:
        self.base = stack.api
        self.stack = stack
        self.session = requests.Session()
        self.session.hooks["response"].append(self._record)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        canary.record(response.status_code, response.headers.items(), response.text)

    def headers(self, *roles: str, object_id: str | None = None) -> dict[str, str]:
        token = (
            self.stack.caller_token(*roles, object_id=object_id)
            if object_id
            else self.stack.caller_token(*roles)
        )
        return {"Authorization": f"Bearer {token}"}

    def submit(
        self,
        body: Any,
        *,
        roles: tuple[str, ...] = ("Jobs.Submit",),
        key: str | None = None,
        object_id: str | None = None,
        content_type: str = "application/json",
    ) -> requests.Response:
        headers = {**self.headers(*roles, object_id=object_id), "Content-Type": content_type}
        if key is not None:
            headers["Idempotency-Key"] = key
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.session.post(f"{self.base}/jobs", data=data, headers=headers, timeout=60)

    def job(self, job_id: str, *, object_id: str | None = None) -> requests.Response:
        return self.session.get(
            f"{self.base}/jobs/{job_id}", headers=self.headers(object_id=object_id), timeout=30
        )

    def wait_for(
        self, job_id: str, status: str, *, timeout: float = 60, object_id: str | None = None
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            body: dict[str, Any] = self.job(job_id, object_id=object_id).json()
            return body if body.get("status") == status else None

        result: dict[str, Any] = eventually(check, timeout=timeout, interval=0.3)
        return result


def job_blob_names(stack: RunningStack) -> set[str]:
    """The names in the jobs container: what a refused submission must leave as it was."""
    blobs = stack.blob_service()
    return set(blobs.get_container_client("jobs").list_blob_names())  # no properties built
