"""The jobs pipeline's exceptions: a job's state or its queue message that cannot be used."""

from __future__ import annotations

from shared.errors import AppError


class JobsError(AppError):
    """Base class: the pipeline could not keep or pass on a job."""


class JobStoreError(JobsError, RuntimeError):
    """State could not be read or written consistently: other writers kept changing it
    (optimistic concurrency gave up), so the same request later may well succeed."""

    code = "job_state_contended"
    http_status = 503
    transient = True
    caller_message = "the job's state is being changed by other requests; retry later"


class MessageSchemaError(JobsError, ValueError):
    """A message that is not a ``jobs.v1`` message."""

    code = "invalid_job_message"
