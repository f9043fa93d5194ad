"""The ``context`` argument: invocation id, trace context and retry context.

As in the worker, every invocation has all three. The trace context is W3C: an HTTP
request's valid ``traceparent`` is continued (same trace id, a new span id, its flags
and its ``tracestate``); anything else starts a new trace. The retry context counts the
host's retries of a function with a retry policy (``0`` of ``0`` without one), with the
previous attempt's exception.
"""

from __future__ import annotations

import re
import secrets
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16

#: One thread-local for every invocation, as in the worker: a function's own threads can
#: read ``context.thread_local_storage.invocation_id`` on the thread that runs it.
INVOCATION_LOCAL = threading.local()


def child_traceparent(incoming: str | None) -> str:
    """A traceparent for the invocation: a child of ``incoming`` when that is valid."""
    match = _TRACEPARENT.match((incoming or "").strip().lower())
    span = secrets.token_hex(8)
    if match and match.group(1) != _ZERO_TRACE and match.group(2) != _ZERO_SPAN:
        return f"00-{match.group(1)}-{span}-{match.group(3)}"
    return f"00-{secrets.token_hex(16)}-{span}-00"


class TraceContext:
    def __init__(self, trace_parent: str, trace_state: str, attributes: dict[str, str]) -> None:
        self._trace_parent = trace_parent
        self._trace_state = trace_state
        self._attributes = attributes

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def attributes(self) -> dict[str, str]:
        return self._attributes

    # The worker's older, capitalised names.
    Traceparent = trace_parent
    Tracestate = trace_state
    Attributes = attributes


class RpcException:
    """The previous attempt's failure, as the retry context carries it."""

    def __init__(self, error: BaseException | None = None) -> None:
        self._message = f"{type(error).__name__}: {error}" if error else ""
        self._stack = (
            "".join(traceback.format_exception(type(error), error, error.__traceback__))
            if error
            else ""
        )

    @property
    def source(self) -> str:
        return ""

    @property
    def stack_trace(self) -> str:
        return self._stack

    @property
    def message(self) -> str:
        return self._message


class RetryContext:
    def __init__(self, retry_count: int, max_retry_count: int, exception: RpcException) -> None:
        self._retry_count = retry_count
        self._max_retry_count = max_retry_count
        self._exception = exception

    @property
    def retry_count(self) -> int:
        return self._retry_count

    @property
    def max_retry_count(self) -> int:
        return self._max_retry_count

    @property
    def exception(self) -> RpcException:
        return self._exception


@dataclass(frozen=True, slots=True)
class Attempt:
    """Where an invocation stands in its retry policy (none: ``0`` of ``0``)."""

    retry_count: int = 0
    max_retry_count: int = 0
    previous_error: BaseException | None = None

    def retry_context(self) -> RetryContext:
        return RetryContext(
            self.retry_count, self.max_retry_count, RpcException(self.previous_error)
        )


@dataclass(frozen=True, slots=True)
class Trace:
    parent: str
    state: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


class Context:
    def __init__(
        self,
        *,
        invocation_id: str,
        function_name: str,
        directory: str,
        trace: Trace,
        attempt: Attempt,
    ) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._directory = directory
        self._trace = TraceContext(trace.parent, trace.state, dict(trace.attributes))
        self._retry = attempt.retry_context()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> TraceContext:
        return self._trace

    @property
    def retry_context(self) -> RetryContext:
        return self._retry

    @property
    def thread_local_storage(self) -> Any:
        return INVOCATION_LOCAL
