"""OpenTelemetry's current context, read and set by the tracing backend
(:mod:`shared.tracing._otel`) on the request's thread, where every call counts."""

from __future__ import annotations

import logging

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext

_LOG = logging.getLogger("shared.tracing")
#: The key the API keeps the current span under (made unique when the API loads), read from
#: the one context the API's own ``set_span_in_context`` makes.
(_SPAN_KEY,) = trace.set_span_in_context(trace.INVALID_SPAN, Context())


class Contexts:
    """OpenTelemetry's current context, read and set as its API does (``get_current_span``,
    ``set_span_in_context``, ``attach``, ``detach``) but without the API's layers: with the
    default runtime context (contextvars) the context is one ``ContextVar`` holding a
    ``Context``, a dict, and a span is current under the API's own key. A submission asked
    the API for its context 45 times, two to four Python calls each, on the request's
    thread, where code runs with cold caches after every network wait
    (docs/performance.md, P4t). Any other runtime context goes through the API
    (tests/unit/shared/tracing/test_otel.py holds the two alike)."""

    def __init__(self) -> None:
        runtime = context_api._RUNTIME_CONTEXT  # the one the API itself uses
        self.var = (
            runtime._current_context if isinstance(runtime, ContextVarsRuntimeContext) else None
        )

    def now(self) -> Context:
        return context_api.get_current() if self.var is None else self.var.get()

    def attach(self, now: Context, span: trace.Span) -> object:
        """Make ``span`` current in a copy of ``now`` (the current context)."""
        values = dict(now)
        values[_SPAN_KEY] = span
        if self.var is None:
            return context_api.attach(Context(values))
        return self.var.set(Context(values))

    def detach(self, token: object) -> None:
        if self.var is None:
            context_api.detach(token)  # type: ignore[arg-type]
            return
        try:
            self.var.reset(token)  # type: ignore[arg-type]
        except ValueError:  # made in another context: the API logs it, as here
            _LOG.warning("a span ended in another context than it was opened in", exc_info=True)


def current_in(context: Context) -> object:
    """The span current in ``context`` (anything may have been put there)."""
    return context.get(_SPAN_KEY)
