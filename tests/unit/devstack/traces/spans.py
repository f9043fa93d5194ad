"""A job's trace as the app makes it, built for tests: a submit, its partner call and vault
read, the send, and the worker's delivery, on one trace id, with made-up times."""

from __future__ import annotations

import datetime as dt
from typing import Any

T0 = dt.datetime(2026, 11, 2, 9, 0, 0, tzinfo=dt.UTC)
TRACE = "4bf9" * 8
HOST_SPAN = "00f067aa0ba902b7"  # the Functions host's invocation, never recorded locally


def at(ms: float) -> str:
    return (
        (T0 + dt.timedelta(milliseconds=ms))
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


def span(
    span_id: str, parent: str, name: str, start: float, end: float, **attributes: Any
) -> dict[str, Any]:
    return {
        "trace_id": TRACE,
        "span_id": span_id,
        "parent_id": parent,
        "name": name,
        "kind": attributes.pop("kind", "internal"),
        "start": at(start),
        "end": at(end),
        "status": attributes.pop("status", "unset"),
        "attributes": attributes,
        "service": "secretless-functions",
    }


def job_trace(job_id: str) -> list[dict[str, Any]]:
    return [
        span("a" * 16, HOST_SPAN, "POST /api/jobs", 0, 100, kind="server",
             **{"app.job.id": job_id, "http.response.status_code": 202}),
        span("b" * 16, "a" * 16, "partner POST", 10, 60, kind="client",
             **{"http.response.status_code": 200, "app.partner.attempts": 2}),
        span("c" * 16, "b" * 16, "vault get secret", 12, 20, **{"app.vault.cache": "miss"}),
        span("d" * 16, "a" * 16, "send jobs", 70, 90, kind="producer", **{"app.job.id": job_id}),
        span("e" * 16, "d" * 16, "process jobs", 150, 400, kind="consumer",
             status="error", **{"app.job.id": job_id, "error.type": "TimeoutError"}),
        span("f" * 16, "e" * 16, "jobstore update", 160, 200, **{"app.job.status": "processing"}),
    ]  # fmt: skip
