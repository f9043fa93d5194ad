"""shared.tracing._otel: the ``traceparent`` the app writes is the one OpenTelemetry's own
W3C propagator writes (https://www.w3.org/TR/trace-context/#traceparent-header), for any
ids and flags; the spans the backend records are the ones the SDK's own tracer makes."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared import tracing
from shared.tracing._otel import _KINDS, TRACER_NAME, OtelBackend, start_context, traceparent_of


def _propagated(context: trace.SpanContext) -> str | None:
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(
        carrier, context=trace.set_span_in_context(trace.NonRecordingSpan(context))
    )
    return carrier.get("traceparent")


@pytest.mark.parametrize("seed", range(5))
def test_the_traceparent_is_the_propagators(seed: int) -> None:
    rng = random.Random(seed)
    for flags in (0x00, 0x01, 0x02, 0x03, rng.randrange(256)):
        context = trace.SpanContext(
            trace_id=rng.randrange(1, 2**128),
            span_id=rng.randrange(1, 2**64),
            is_remote=False,
            trace_flags=trace.TraceFlags(flags),
        )
        assert traceparent_of(context) == _propagated(context)
    small = trace.SpanContext(trace_id=1, span_id=1, is_remote=False)  # zero-padded ids
    assert traceparent_of(small) == _propagated(small) == f"00-{'0' * 31}1-{'0' * 15}1-00"


def test_an_invalid_context_has_none() -> None:
    assert traceparent_of(trace.INVALID_SPAN_CONTEXT) is None
    assert _propagated(trace.INVALID_SPAN_CONTEXT) is None


class _Ids(IdGenerator):
    """The same ids, in the same order, for both sides; trace ids said random, as the SDK's
    own generator says (the W3C random-trace-id flag then shows in the spans)."""

    def __init__(self) -> None:
        self._spans, self._traces = itertools.count(1), itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._spans) * 0x1_0000_0001

    def generate_trace_id(self) -> int:
        # The second trace is dropped by the 0.5 ratio sampler, which compares the low 64
        # bits with a bound half-way up; the others are kept.
        n = next(self._traces)
        return (n << 64) | (0xF000_0000_0000_0000 if n == 2 else 0x10)

    def is_trace_id_random(self) -> bool:
        return True


def _provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        sampler=TraceIdRatioBased(0.5),
        resource=Resource({"service.name": "svc"}),
        id_generator=_Ids(),
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider, memory


class _SdkBackend:
    """The SDK's own tracer, called as the backend's spans would be (from the context
    :func:`start_context` chooses for both): the oracle."""

    def __init__(self, provider: TracerProvider) -> None:
        self._tracer = provider.get_tracer(TRACER_NAME)

    def open(
        self, name: str, *, kind: str, attributes: Any, parent: Any, links: Any, root: bool
    ) -> Any:
        context, found_links = start_context(parent, links, root=root)
        span = self._tracer.start_span(
            name,
            context=context,
            kind=_KINDS[kind],
            attributes=attributes,
            links=found_links,
            record_exception=False,
            set_status_on_exception=False,
        )
        return _SdkHandle(span, otel_context.attach(trace.set_span_in_context(span)))

    def current(self) -> Any:
        return _SdkHandle(trace.get_current_span(), None)


class _SdkHandle:
    def __init__(self, span: Any, token: Any) -> None:
        self._span, self._token = span, token

    @property
    def traceparent(self) -> str | None:
        return traceparent_of(self._span.get_span_context())

    def set(self, key: str, value: Any) -> None:
        self._span.set_attribute(key, value)

    def update(self, attributes: Any) -> None:
        self._span.set_attributes(attributes)

    def fail(self, error_type: str, description: str = "") -> None:
        self._span.set_attribute("error.type", error_type)
        self._span.set_status(trace.Status(trace.StatusCode.ERROR, description or error_type))

    def end(self, error: BaseException | None = None) -> None:
        if error is not None:
            self._span.record_exception(error)
            self.fail(type(error).__name__, str(error))
        if self._token is not None:
            otel_context.detach(self._token)
        self._span.end()


def _a_job(carried: list[str | None]) -> None:
    """Spans as the app opens them: nested, annotated, failed, continued, a new trace, an
    error escaping, a trace the sampler drops."""
    with tracing.span(
        "POST /api/jobs", kind="server", attributes={"http.route": "/api/jobs"}
    ) as server:
        tracing.annotate({"app.job.id": "j1"})
        with tracing.span("partner call", kind="client", attributes={"n": 1}) as call:
            call.set("http.response.status_code", 503)
            call.fail("503")
        carried.append(tracing.current_traceparent())
        server.set("http.response.status_code", 202)
    with tracing.span("send jobs", kind="producer", parent=carried[0], links=[carried[0] or ""]):
        pass
    with tracing.span("POST /api/jobs", kind="server"), tracing.span("rotation", root=True):
        pass
    with pytest.raises(ValueError, match="broke"), tracing.span("process job", kind="consumer"):
        raise ValueError("the job broke")
    opened = tracing.start("outbound", kind="client", attributes={"b": True, "f": 0.5})
    opened.end()


def _described(span: ReadableSpan) -> dict[str, Any]:
    events = [
        (e.name, {k: v for k, v in (e.attributes or {}).items() if k != "exception.stacktrace"})
        for e in span.events
    ]
    stacks = [
        "the job broke" in str((e.attributes or {}).get("exception.stacktrace"))
        for e in span.events
    ]
    return {
        "name": span.name,
        "context": span.context,
        "parent": span.parent,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "status": (span.status.status_code, span.status.description),
        "events": events,
        "stacks": stacks,
        "links": [(link.context, dict(link.attributes or {})) for link in span.links],
        "resource": dict(span.resource.attributes),
        "scope": span.instrumentation_scope.name if span.instrumentation_scope else None,
        "ordered": span.start_time is not None
        and span.end_time is not None
        and span.start_time <= span.end_time,
    }


def test_the_backends_spans_are_the_sdk_tracers_own() -> None:
    """The same calls through the SDK's tracer and through the backend, with the same ids:
    the same spans reach the processors, field by field (the stack trace's text aside: its
    line numbers are the caller's)."""
    made = []
    for backend_of in (_SdkBackend, OtelBackend):
        provider, memory = _provider()
        carried: list[str | None] = []
        with tracing.using(backend_of(provider)):
            _a_job(carried)
        made.append(([_described(s) for s in memory.get_finished_spans()], carried))
    (sdk_spans, sdk_carried), (ours, our_carried) = made
    assert our_carried == sdk_carried
    assert len(ours) == len(sdk_spans) >= 5  # one trace of the run is dropped by the sampler
    for mine, theirs in zip(ours, sdk_spans, strict=True):
        assert mine == theirs
