"""The jobs pipeline's exceptions: a job's state or its queue message that cannot be used."""

from __future__ import annotations

__all__ = ["JobStoreError", "MessageSchemaError"]


class JobStoreError(RuntimeError):
    """State could not be read or written consistently."""


class MessageSchemaError(ValueError):
    """A message that is not a ``jobs.v1`` message."""
