"""The backend behind :mod:`shared.tracing._api` while tracing is on: the OpenTelemetry SDK.

Imported only when tracing starts (:mod:`shared.tracing._setup`). The tracer comes from the
app's own ``TracerProvider``, not the global one: nothing else in the process traces (every
automatic instrumentation stays off), and tests can build as many providers as they like.

The parent of a span is the current context (in Azure the invocation's, which the Python
worker attaches when ``PYTHON_ENABLE_OPENTELEMETRY`` is on; on the devstack its host does
the same), unless a ``traceparent`` is given: then that trace is continued and the current
context, if any, is linked to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.tracing._api import SpanHandle, Value
from shared.tracing._context import valid_traceparent

_KINDS = {
    "internal": SpanKind.INTERNAL,
    "server": SpanKind.SERVER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
    "consumer": SpanKind.CONSUMER,
}
_PROPAGATOR = TraceContextTextMapPropagator()
TRACER_NAME = "secretless-functions"


def traceparent_of(span_context: trace.SpanContext) -> str | None:
    """The W3C ``traceparent`` of ``span_context``, as the SDK's propagator writes it
    (version ``00``); formatted here, because the propagator's way, through a context and a
    carrier, cost 8 us and a submission asks twice (tests/unit/shared/tracing/test_otel.py
    holds the two alike)."""
    if not span_context.is_valid:
        return None
    ids = f"{span_context.trace_id:032x}-{span_context.span_id:016x}"
    return f"00-{ids}-{span_context.trace_flags:02x}"


def _span_context(traceparent: str) -> trace.SpanContext | None:
    if valid_traceparent(traceparent) is None:
        return None
    extracted = _PROPAGATOR.extract({"traceparent": traceparent})
    found = trace.get_current_span(extracted).get_span_context()
    return found if found.is_valid else None


class _Handle:
    """An OpenTelemetry span, current until :meth:`end`."""

    __slots__ = ("_span", "_token")

    def __init__(self, span: trace.Span, token: object | None) -> None:
        self._span = span
        self._token = token

    @property
    def traceparent(self) -> str | None:
        return traceparent_of(self._span.get_span_context())

    def set(self, key: str, value: Value) -> None:
        self._span.set_attribute(key, value)

    def update(self, attributes: Mapping[str, Value]) -> None:
        self._span.set_attributes(attributes)

    def fail(self, error_type: str, description: str = "") -> None:
        self._span.set_attribute("error.type", error_type)
        self._span.set_status(Status(StatusCode.ERROR, description or error_type))

    def end(self, error: BaseException | None = None) -> None:
        if error is not None:
            self._span.record_exception(error)
            self.fail(type(error).__name__, str(error))
        if self._token is not None:
            context_api.detach(self._token)  # type: ignore[arg-type]
        self._span.end()


class OtelBackend:
    """Spans from one ``TracerProvider``."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer(TRACER_NAME)

    def open(
        self,
        name: str,
        *,
        kind: str,
        attributes: Mapping[str, Value] | None,
        parent: str | None,
        links: Sequence[str],
        root: bool,
    ) -> SpanHandle:
        found_links = [Link(c) for c in map(_span_context, links) if c is not None] if links else []
        context = None
        continued = _span_context(parent) if parent is not None else None
        if continued is not None or root:
            current = trace.get_current_span().get_span_context()
            # Another trace than the one in progress: continue the job's (or start one),
            # and say where this span was opened from.
            base = context_api.Context()
            context = (
                base
                if continued is None
                else trace.set_span_in_context(trace.NonRecordingSpan(continued), base)
            )
            if current.is_valid and all(link.context != current for link in found_links):
                found_links.append(Link(current))
        span = self._tracer.start_span(
            name,
            context=context,
            kind=_KINDS[kind],
            attributes=attributes,
            links=found_links,
            record_exception=False,
            set_status_on_exception=False,
        )
        token = context_api.attach(trace.set_span_in_context(span))
        return _Handle(span, token)

    def current(self) -> SpanHandle:
        return _Handle(trace.get_current_span(), None)
