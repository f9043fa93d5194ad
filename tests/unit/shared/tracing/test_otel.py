"""shared.tracing._otel: the ``traceparent`` the app writes is the one OpenTelemetry's own
W3C propagator writes (https://www.w3.org/TR/trace-context/#traceparent-header), for any
ids and flags; the spans the backend records are the ones the SDK's own tracer makes."""

from __future__ import annotations

import contextvars
import functools
import itertools
import random
from collections.abc import Callable
from typing import Any, cast

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context.context import _RuntimeContext
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, TraceIdRatioBased
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


#: The high halves of the trace ids, in the order they are made. The second trace is dropped
#: by both samplers at 0.5 and the others kept (test_the_samplers_keep_and_drop_as_said):
#: ``TraceIdRatioBased`` compares the low 64 bits with a bound half-way up (0x10 is kept,
#: 0xF000... dropped), ``ApplicationInsightsSampler`` a DJB2 hash of the whole id's hex.
_HIGH = (5, 2, 7, 9, 10, 13, 15, 16)
_DROPPED = 2


def _trace_id(n: int) -> int:
    low = 0xF000_0000_0000_0000 if n == _DROPPED else 0x10
    return (_HIGH[n - 1] << 64) | low


class _Ids(IdGenerator):
    """The same ids, in the same order, for both sides; trace ids said random, as the SDK's
    own generator says (the W3C random-trace-id flag then shows in the spans)."""

    def __init__(self) -> None:
        self._spans, self._traces = itertools.count(1), itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._spans) * 0x1_0000_0001

    def generate_trace_id(self) -> int:
        n = next(self._traces)
        return _trace_id(n)

    def is_trace_id_random(self) -> bool:
        return True


def _provider(sampler: Sampler | None = None) -> tuple[TracerProvider, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        sampler=sampler or TraceIdRatioBased(0.5),
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
    with tracing.span("POST /api/jobs", kind="server"):  # the trace the sampler drops
        with tracing.span("inside a dropped trace"):
            tracing.annotate({"dropped": True})
        with tracing.span("rotation", root=True), tracing.span("inside the rotation"):
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
        "dropped": (span.dropped_attributes, span.dropped_events, span.dropped_links),
        "ordered": span.start_time is not None
        and span.end_time is not None
        and span.start_time <= span.end_time,
    }


def _application_insights() -> Sampler:
    from azure.monitor.opentelemetry.exporter import ApplicationInsightsSampler

    return cast(Sampler, ApplicationInsightsSampler(0.5))


#: The samplers the app builds (they decide on the trace id alone: ``by_trace_id``), and
#: one that does not.
_SAMPLERS: dict[str, Callable[[], Sampler]] = {
    "ratio": lambda: TraceIdRatioBased(0.5),
    "application-insights": _application_insights,
    "parent-based": lambda: ParentBased(TraceIdRatioBased(0.5)),
}


def _samplers() -> list[Any]:
    """Each sampler with the backend taking a parent's answer for its children (for those
    that decide on the trace id), and asking it for every span."""
    return [
        pytest.param(_SAMPLERS["ratio"], True, id="ratio"),
        pytest.param(_SAMPLERS["ratio"], False, id="ratio-asked-always"),
        pytest.param(_SAMPLERS["application-insights"], True, id="application-insights"),
        pytest.param(_SAMPLERS["parent-based"], False, id="parent-based"),
    ]


def _both_ways(sampler: Any, by_trace_id: bool) -> tuple[Any, Any]:
    made = []
    for backend_of in (_SdkBackend, functools.partial(OtelBackend, by_trace_id=by_trace_id)):
        provider, memory = _provider(sampler())
        carried: list[str | None] = []
        with tracing.using(backend_of(provider)):
            _a_job(carried)
        made.append(([_described(s) for s in memory.get_finished_spans()], carried))
    return made[0], made[1]


@pytest.mark.parametrize(("sampler", "by_trace_id"), _samplers())
def test_the_backends_spans_are_the_sdk_tracers_own(sampler: Any, by_trace_id: bool) -> None:
    """The same calls through the SDK's tracer and through the backend, with the same ids:
    the same spans reach the processors, field by field (the stack trace's text aside: its
    line numbers are the caller's), whether the sampler is asked for every span or a span
    takes its parent's answer."""
    (sdk_spans, sdk_carried), (ours, our_carried) = _both_ways(sampler, by_trace_id)
    assert our_carried == sdk_carried
    names = [span["name"] for span in ours]
    assert "inside a dropped trace" not in names  # the sampler's one dropped trace
    assert {"partner call", "inside the rotation", "outbound"} <= set(names)
    assert len(ours) == len(sdk_spans)
    for mine, theirs in zip(ours, sdk_spans, strict=True):
        assert mine == theirs


@pytest.mark.parametrize("name", sorted(_SAMPLERS))
def test_the_samplers_keep_and_drop_as_said(name: str) -> None:
    made = _SAMPLERS[name]()
    for n in range(1, len(_HIGH) + 1):
        result = made.should_sample(None, _trace_id(n), "x")
        assert (result.decision is Decision.DROP) == (n == _DROPPED), n


def test_a_sampler_that_adds_attributes_adds_them_to_every_span() -> None:
    """Application Insights' sampler stamps its rate on each span it keeps; a span that
    takes its parent's answer carries it too (the SDK's tracer asks it for every span)."""
    (_, _), (ours, _) = _both_ways(_application_insights, True)
    assert ours
    assert all("_MS.sampleRate" in span["attributes"] for span in ours)


def test_an_ended_span_is_a_readable_span_with_every_field() -> None:
    """The span handed to the processors is the SDK's ``ReadableSpan``, with every field
    its constructor sets (a field a later SDK adds fails here, not in an exporter)."""
    provider, memory = _provider(TraceIdRatioBased(1.0))
    with tracing.using(OtelBackend(provider, by_trace_id=True)), tracing.span("a"):
        pass
    (ended,) = memory.get_finished_spans()
    assert isinstance(ended, ReadableSpan)
    assert set(vars(ReadableSpan("x"))) <= set(vars(ended))


class _DictRuntime(_RuntimeContext):
    """A runtime context that is not the contextvars one: the backend goes through the
    API for it."""

    def __init__(self) -> None:
        self._stack = [otel_context.Context()]

    def attach(self, context: otel_context.Context) -> Any:
        self._stack.append(context)
        return len(self._stack) - 1

    def get_current(self) -> otel_context.Context:
        return self._stack[-1]

    def detach(self, token: object) -> None:
        del self._stack[int(token) :]  # type: ignore[call-overload]


def test_another_runtime_context_gives_the_same_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(otel_context, "_RUNTIME_CONTEXT", _DictRuntime())
    assert OtelBackend(_provider()[0]).contexts.var is None  # the API, not the shortcut
    (sdk_spans, sdk_carried), (ours, our_carried) = _both_ways(lambda: TraceIdRatioBased(0.5), True)
    assert our_carried == sdk_carried
    assert ours == sdk_spans


def test_the_apps_span_is_current_for_opentelemetry() -> None:
    """Inside one of the app's spans the API's ``get_current_span`` sees it (a log exporter
    stamps its records with it) and after it, what was current before."""
    provider, _ = _provider(TraceIdRatioBased(1.0))
    before = trace.get_current_span()
    with tracing.using(OtelBackend(provider, by_trace_id=True)), tracing.span("a") as opened:
        inside = trace.get_current_span().get_span_context()
        assert traceparent_of(inside) == opened.traceparent
    assert trace.get_current_span() is before


def test_a_span_ended_in_another_context_is_exported_and_said(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider, memory = _provider(TraceIdRatioBased(1.0))

    def moved() -> None:  # in a context of its own: the span it opens stays current there
        opened = tracing.start("moved")
        contextvars.copy_context().run(opened.end)

    before = trace.get_current_span()
    with tracing.using(OtelBackend(provider, by_trace_id=True)):
        contextvars.copy_context().run(moved)
    assert trace.get_current_span() is before  # nothing left current for the next test
    assert [span.name for span in memory.get_finished_spans()] == ["moved"]
    assert "another context" in caplog.text
