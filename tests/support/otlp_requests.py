"""Export requests built from spans in the shape the devstack's store gives them back, so a
test can keep spans of its choosing the way the receiver does
(``store.append_request(request_bytes(spans))``).

The inverse of :func:`devstack.traces.otlp.spans_of`: hex ids, ``kind`` and ``status`` as
words, ``start``/``end`` and event times as ISO 8601 in UTC (to the microsecond), attributes
of str, int, float, bool, lists and dicts of those, events, links, and ``service`` as the
resource's ``service.name``. Consecutive spans of one service share a resource.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def request_bytes(spans: Iterable[Mapping[str, Any]]) -> bytes:
    """One ``ExportTraceServiceRequest`` holding ``spans``, serialized."""
    request = ExportTraceServiceRequest()
    resource: ResourceSpans | None = None
    service: str | None = None
    for span in spans:
        if resource is None or span.get("service", "") != service:
            service = str(span.get("service", ""))
            resource = request.resource_spans.add()
            if service:
                _set(resource.resource.attributes, {"service.name": service})
            resource.scope_spans.add()
        _fill(resource.scope_spans[0].spans.add(), span)
    return bytes(request.SerializeToString())


def unix_nanos(moment: str) -> int:
    """``moment`` (ISO 8601, ``Z`` or an offset) as nanoseconds since the epoch."""
    elapsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00")) - EPOCH
    return elapsed // dt.timedelta(microseconds=1) * 1000


def _fill(out: Span, span: Mapping[str, Any]) -> None:
    out.trace_id = bytes.fromhex(span["trace_id"])
    out.span_id = bytes.fromhex(span["span_id"])
    out.parent_span_id = bytes.fromhex(span.get("parent_id", ""))
    out.name = span["name"]
    out.kind = Span.SpanKind.Value("SPAN_KIND_" + span.get("kind", "unspecified").upper())
    out.start_time_unix_nano = unix_nanos(span["start"])
    out.end_time_unix_nano = unix_nanos(span["end"])
    out.status.code = Status.StatusCode.Value("STATUS_CODE_" + span.get("status", "unset").upper())
    out.status.message = span.get("status_message", "")
    _set(out.attributes, span.get("attributes") or {})
    for event in span.get("events", []):
        added = out.events.add(name=event["name"], time_unix_nano=unix_nanos(event["time"]))
        _set(added.attributes, event.get("attributes") or {})
    for link in span.get("links", []):
        added_link = out.links.add(
            trace_id=bytes.fromhex(link["trace_id"]), span_id=bytes.fromhex(link["span_id"])
        )
        _set(added_link.attributes, link.get("attributes") or {})


def _set(pairs: Any, attributes: Mapping[str, Any]) -> None:
    for key, value in attributes.items():
        pair: KeyValue = pairs.add(key=key)
        _value(pair.value, value)


def _value(out: AnyValue, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):  # before int: a bool is an int
        out.bool_value = value
    elif isinstance(value, int):
        out.int_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, list | tuple):
        out.array_value.SetInParent()
        for item in value:
            _value(out.array_value.values.add(), item)
    elif isinstance(value, Mapping):
        out.kvlist_value.SetInParent()
        _set(out.kvlist_value.values, value)
    else:
        raise TypeError(f"an attribute of {type(value).__name__} has no OTLP value")


def sdk_request() -> bytes:
    """An export request as the SDK's own encoder makes it: two spans, the outer with
    attributes (a list among them) and an event, the inner linked to it and failed."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, StatusCode
    from opentelemetry.trace import Status as SpanStatus

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "svc"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("outer", attributes={"n": 3, "l": ["a", "b"]}) as outer:
        outer.add_event("happened", {"k": True, "f": 1.5})
        link = Link(outer.get_span_context(), {"why": "follows"})
        with tracer.start_as_current_span("inner", links=[link]) as inner:
            inner.set_status(SpanStatus(StatusCode.ERROR, "it broke"))
    return bytes(encode_spans(memory.get_finished_spans()).SerializeToString())
