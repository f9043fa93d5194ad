"""The backend behind :mod:`shared.tracing._api` while tracing is on: the OpenTelemetry SDK's
sampler, ids, resource and span processors, with spans recorded here (:class:`OtelBackend`
says why) and handed over as the SDK's own ``ReadableSpan``.

Imported only when tracing starts (:mod:`shared.tracing._setup`). The provider is the
app's own ``TracerProvider``, not the global one: nothing else in the process traces (every
automatic instrumentation stays off), and tests can build as many providers as they like.

The parent of a span is the current context (in Azure the invocation's, which the Python
worker attaches when ``PYTHON_ENABLE_OPENTELEMETRY`` is on; on the devstack its host does
the same), unless a ``traceparent`` is given: then that trace is continued and the current
context, if any, is linked to.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import cast

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Tracer, TracerProvider
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.tracing._api import SpanHandle, Value
from shared.tracing._context import valid_traceparent
from shared.tracing._otel_context import Contexts, current_in

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


def start_context(
    parent: str | None, links: Sequence[str], *, root: bool
) -> tuple[context_api.Context | None, list[Link]]:
    """The context a span starts from (None: the current one) and its links: with a valid
    ``parent``, that trace continued; with ``root``, a new one; either way linked to the
    span in progress, if any, so that it says where it was opened from."""
    found_links = [Link(c) for c in map(_span_context, links) if c is not None] if links else []
    continued = _span_context(parent) if parent is not None else None
    if continued is None and not root:
        return None, found_links
    current = trace.get_current_span().get_span_context()
    base = context_api.Context()
    context = (
        base
        if continued is None
        else trace.set_span_in_context(trace.NonRecordingSpan(continued), base)
    )
    if current.is_valid and all(link.context != current for link in found_links):
        found_links.append(Link(current))
    return context, found_links


class _Current(trace.NonRecordingSpan):
    """What the context holds while one of the app's spans is open: its span context (so
    that propagation, ``get_current_span`` and the spans opened inside see it) and the
    span itself, for :meth:`OtelBackend.current`."""

    def __init__(
        self, context: trace.SpanContext, handle: _Handle | None, backend: OtelBackend
    ) -> None:
        super().__init__(context)
        self.handle, self.backend = handle, backend


class _Handle(ReadableSpan):
    """One recording span of the app's, made current until :meth:`end`, then handed to the
    provider's span processors: it is the SDK's own ``ReadableSpan`` (its fields set here,
    as ``ReadableSpan.__init__`` sets them, and tests/unit/shared/tracing/test_otel.py
    holds the two alike), so that ending a span builds no second object. Its attributes,
    events and links are never bounded (the app's spans carry a dozen attributes at most),
    so nothing was dropped: said here, where the SDK's properties would check."""

    dropped_attributes = dropped_events = dropped_links = 0

    def __init__(
        self,
        backend: OtelBackend,
        name: str,
        kind: SpanKind,
        context: trace.SpanContext,
        parent: trace.SpanContext | None,
        attributes: dict[str, Value],
        links: Sequence[Link],
        now: Context,
        sampler_added: Mapping[str, Value],
    ) -> None:
        # ReadableSpan's fields, by its own names.
        self._name, self._kind = name, kind
        self._context, self._parent = context, parent
        self._attributes, self._links = attributes, links
        self._recording = attributes  # the same dict, typed as the one the app adds to
        self._events: Sequence[Event] = ()
        self._status = _UNSET
        self._resource, self._instrumentation_scope = backend.resource, backend.scope
        self._instrumentation_info = None
        self._end_time: int | None = None
        # The handle's own.
        self._backend = backend
        self.sampler_added = sampler_added
        self._traceparent: str | None = None
        self._start_time = time.time_ns()
        self._token: object = backend.contexts.attach(now, _Current(context, self, backend))

    @property
    def traceparent(self) -> str | None:
        if self._traceparent is None:
            self._traceparent = traceparent_of(cast(trace.SpanContext, self._context))
        return self._traceparent

    def set(self, key: str, value: Value) -> None:
        if self._end_time is None:
            self._recording[key] = value

    def update(self, attributes: Mapping[str, Value]) -> None:
        if self._end_time is None:
            self._recording.update(attributes)

    def fail(self, error_type: str, description: str = "") -> None:
        if self._end_time is None:
            self._recording["error.type"] = error_type
            self._status = Status(StatusCode.ERROR, description or error_type)

    def end(self, error: BaseException | None = None) -> None:
        if self._end_time is not None:
            return
        if error is not None:
            self._events = (*self._events, _exception_event(error))
            self.fail(type(error).__name__, str(error))
        self._end_time = time.time_ns()
        backend = self._backend
        backend.contexts.detach(self._token)
        self._token = None
        backend.processor.on_end(self)


class _Outside:
    """The span in progress when it is not one of the app's (the invocation's, or none):
    its ``traceparent`` is read, nothing is set on it."""

    __slots__ = ("_context",)

    def __init__(self, context: trace.SpanContext) -> None:
        self._context = context

    @property
    def traceparent(self) -> str | None:
        return traceparent_of(self._context)

    def set(self, key: str, value: Value) -> None:
        pass

    def update(self, attributes: Mapping[str, Value]) -> None:
        pass

    def fail(self, error_type: str, description: str = "") -> None:
        pass

    def end(self, error: BaseException | None = None) -> None:
        pass


class _Unrecorded(_Outside):
    """A span the sampler dropped: current (its children belong to the same trace, and
    the sampler drops them too), never recorded."""

    __slots__ = ("_contexts", "_token")

    def __init__(self, context: trace.SpanContext, backend: OtelBackend, now: Context) -> None:
        super().__init__(context)
        self._contexts = backend.contexts
        self._token: object | None = self._contexts.attach(now, _Current(context, None, backend))

    def end(self, error: BaseException | None = None) -> None:
        if self._token is not None:
            self._contexts.detach(self._token)
            self._token = None


def _exception_event(error: BaseException) -> Event:
    """The event the SDK's ``Span.record_exception`` records, with the same attributes."""
    module, qualname = type(error).__module__, type(error).__qualname__
    return Event(
        "exception",
        {
            "exception.type": f"{module}.{qualname}"
            if module and module != "builtins"
            else qualname,
            "exception.message": str(error),
            "exception.stacktrace": "".join(traceback.format_exception(error)),
            "exception.escaped": "False",
        },
    )


class OtelBackend:
    """Spans of one ``TracerProvider``: its sampler, ids, resource and span processors.

    The spans are not the SDK's ``Span`` objects: opening and ending one of those (its
    tracer's checks, attribute limits and locks) was most of what tracing cost a request's
    thread, 25 to 30 us a span against about 6 here (docs/performance.md, P4t). A span is
    recorded as the app opens it (its attributes are the app's own primitive values, never
    more than a dozen: no limit is applied) and becomes the SDK's ``ReadableSpan`` when it
    ends, handed to the provider's span processors as the SDK's spans are
    (``SpanProcessor.on_end``; ``on_start``, which the batch processors ignore, is not
    called). What the SDK decides stays the SDK's: the sampler is asked with the arguments
    the SDK's tracer gives it, and ids and trace flags are made as it makes them
    (tests/unit/shared/tracing/test_otel.py holds the spans of both alike).

    :keyword by_trace_id: the sampler decides on the trace id alone, and what it adds to a
        span's attributes does not depend on the span (``TraceIdRatioBased``, and the
        Azure Monitor distro's ``ApplicationInsightsSampler``: the samplers the app builds).
        A span opened inside one of this backend's spans, in its trace, then takes its
        parent's answer instead of asking again: the same answer, without the sampler's
        calls (three spans in four of a submission).
    """

    def __init__(self, provider: TracerProvider, *, by_trace_id: bool = False) -> None:
        self.provider = provider
        tracer = cast(Tracer, provider.get_tracer(TRACER_NAME))  # the SDK's, from its provider
        self.sampler = tracer.sampler
        self.ids = tracer.id_generator
        self.resource = tracer.resource
        self.processor = tracer.span_processor
        self.scope = InstrumentationScope(TRACER_NAME)
        self.contexts = Contexts()
        self._by_trace_id = by_trace_id

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
        now = self.contexts.now()
        context: Context | None
        found_links: list[Link]
        if parent is None and not links and not root:  # most spans: inside the current one
            parent_span = current_in(now)
            if (
                self._by_trace_id
                and isinstance(parent_span, _Current)
                and parent_span.backend is self
            ):
                return self._child(parent_span, name, _KINDS[kind], attributes, now)
            context, found_links = None, []
        else:
            context, found_links = start_context(parent, links, root=root)
            parent_span = current_in(now if context is None else context)
        parent_context: trace.SpanContext | None = (
            parent_span.get_span_context() if isinstance(parent_span, trace.Span) else None
        )
        if parent_context is not None and not parent_context.is_valid:
            parent_context = None
        span_kind = _KINDS[kind]
        if parent_context is None:
            trace_id = self.ids.generate_trace_id()
            random_id = self.ids.is_trace_id_random()
        else:
            trace_id = parent_context.trace_id
            random_id = parent_context.trace_flags.random_trace_id
        offered = dict(attributes) if attributes else None  # a sampler may add to it
        sampled = self.sampler.should_sample(
            context, trace_id, name, span_kind, offered, found_links
        )
        flags = TraceFlags.SAMPLED if sampled.decision is Decision.RECORD_AND_SAMPLE else 0
        if random_id:
            flags |= TraceFlags.RANDOM_TRACE_ID
        span_context = trace.SpanContext(
            trace_id,
            self.ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(flags),
            trace_state=sampled.trace_state,
        )
        if sampled.decision is Decision.DROP:
            return _Unrecorded(span_context, self, now)
        recorded = dict(sampled.attributes or {})
        given = attributes or _NOTHING
        added = (
            _NOTHING
            if recorded == given
            else {k: v for k, v in recorded.items() if k not in given or given[k] != v}
        )
        return _Handle(
            self, name, span_kind, span_context, parent_context, recorded, found_links, now, added
        )

    def _child(
        self,
        inside: _Current,
        name: str,
        kind: SpanKind,
        attributes: Mapping[str, Value] | None,
        now: Context,
    ) -> SpanHandle:
        """A span in the trace of ``inside``, one of this backend's: the sampler's answer
        for its parent is its answer (``by_trace_id``)."""
        parent_context = inside.get_span_context()
        span_context = trace.SpanContext(
            parent_context.trace_id,
            self.ids.generate_span_id(),
            is_remote=False,
            trace_flags=parent_context.trace_flags,
            trace_state=parent_context.trace_state,
        )
        handle = inside.handle
        if handle is None:  # the parent was dropped, and so is every span of its trace
            return _Unrecorded(span_context, self, now)
        recorded = dict(attributes) if attributes else {}
        if handle.sampler_added:
            recorded.update(handle.sampler_added)
        return _Handle(
            self,
            name,
            kind,
            span_context,
            parent_context,
            recorded,
            (),
            now,
            handle.sampler_added,
        )

    def current(self) -> SpanHandle:
        found = current_in(self.contexts.now())
        if isinstance(found, _Current) and found.handle is not None:
            return found.handle
        if isinstance(found, trace.Span):
            return _Outside(found.get_span_context())
        return _Outside(trace.INVALID_SPAN_CONTEXT)


_UNSET = Status(StatusCode.UNSET)
_NOTHING: Mapping[str, Value] = MappingProxyType({})
