"""urllib3's ``Retry`` as the outbound client needs it: a bound on ``Retry-After``, and a count.

A server that asks for a longer wait than the client's bound is not waited for: the call
gives up at once and the caller gets the server's hint (an HTTP handler passes it on
instead of holding its own caller). Nor is a retry started whose wait would end past the
call's deadline (``_deadline``). Each call counts the attempts urllib3 judged failed, for its
one log line.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from shared.net import parse_retry_after
from shared.outbound._deadline import current_deadline


@dataclass
class RetryCount:
    increments: int = 0  # attempts urllib3 judged failed


# The adapter's Retry is shared by every call, so the count of the call in progress travels
# in a context variable (set and reset around each call, per thread).
current_count: contextvars.ContextVar[RetryCount | None] = contextvars.ContextVar(
    "outbound_call", default=None
)


class BoundedRetry(Retry):
    """``Retry`` that bounds ``Retry-After`` by giving up rather than waiting longer, and
    counts attempts in :data:`current_count`."""

    def __init__(self, *args: Any, max_wait: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait

    def new(self, **kw: Any) -> Self:
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        count = current_count.get()
        if count is not None:
            count.increments += 1
        asked = None
        if response is not None:
            asked = parse_retry_after(response.headers.get("Retry-After"))
            if asked is not None and asked > self.max_wait:
                # raise_on_status=False turns this into "return the last response".
                reason = ResponseError("Retry-After beyond the configured bound")
                raise MaxRetryError(_pool, url, reason)  # type: ignore[arg-type]
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        deadline = current_deadline.get()
        if deadline is not None:
            wait = asked if asked is not None else retry.get_backoff_time()
            if deadline.expired or wait >= deadline.remaining():
                # No attempt that could only end past the call's deadline.
                reason = ResponseError("the call's deadline leaves no time for a retry")
                raise MaxRetryError(_pool, url, reason)  # type: ignore[arg-type]
        return retry
