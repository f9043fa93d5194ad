"""shared.tracing._wire: the bytes parse to the message the SDK's own encoder builds.

The oracle is ``encode_spans`` (opentelemetry-exporter-otlp-proto-common, the encoder of the
SDK's OTLP exporters), run on the same spans; the spans are made by a real
``TracerProvider`` with every feature the SDK records: attributes of each type, events (an
exception among them), links with attributes, a remote parent, a trace state, statuses with
and without a message, dropped attributes, events and links, two scopes and two resources.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from shared.redaction import CleanTexts, Secret
from shared.tracing._scrub import scrub_text, scrubbed
from shared.tracing._wire import WireEncoder


def _provider(service: str, memory: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource({"service.name": service, "n": 2}, schema_url="https://s/1"),
        span_limits=SpanLimits(max_attributes=6, max_events=2, max_links=2),
    )
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider


def varied_spans() -> Sequence[ReadableSpan]:
    memory = InMemorySpanExporter()
    first, second = _provider("a", memory), _provider("b", memory)
    tracer = first.get_tracer("app", "1.2", schema_url="https://t/1", attributes={"k": "v"})
    other = first.get_tracer("lib")
    remote = SpanContext(
        0x0AF7651916CD43DD8448EB211C80319C,
        0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "x1"), ("other", "y")]),
    )
    parent = trace.set_span_in_context(trace.NonRecordingSpan(remote))
    attributes: dict[str, Any] = {
        "s": "text",
        "b": True,
        "i": -7,
        "f": 2.5,
        "strings": ("x", "y"),
        "ints": (1, 2, 3),
        "bools": (False, True),
        "floats": (0.5,),
        "more": "dropped by the limit",
    }
    with tracer.start_as_current_span(
        "POST /api/jobs", context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as server:
        server.set_attribute("http.response.status_code", 202)
        server.add_event("first", {"n": 1})
        server.add_event("second")
        server.add_event("third, dropped")
        with tracer.start_as_current_span(
            "send jobs",
            kind=SpanKind.PRODUCER,
            links=[Link(remote, {"why": "resend"}), Link(remote), Link(remote)],
        ) as producer:
            producer.set_status(Status(StatusCode.ERROR, "it broke"))
        try:
            with other.start_as_current_span("inner", kind=SpanKind.CLIENT):
                raise ValueError("an exception event")
        except ValueError:
            pass
        with tracer.start_as_current_span("ok") as fine:
            fine.set_status(Status(StatusCode.OK))
    with second.get_tracer("app").start_as_current_span("üñíçødé", kind=SpanKind.CONSUMER):
        pass
    return memory.get_finished_spans()


def parsed(data: bytes) -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    message.ParseFromString(data)
    return message


def test_every_feature_the_sdk_records_encodes_as_the_sdk_encodes_it() -> None:
    spans = varied_spans()
    features = {
        "remote parent": any(s.parent is not None and s.parent.is_remote for s in spans),
        "events": any(s.events for s in spans),
        "links": any(s.links for s in spans),
        "dropped": all(
            any(getattr(s, n) for s in spans)
            for n in ("dropped_attributes", "dropped_events", "dropped_links")
        ),
        "error status": any(s.status.status_code is StatusCode.ERROR for s in spans),
        "resources": len({id(s.resource) for s in spans}) == 2,
        "scopes": len({s.instrumentation_scope for s in spans}) >= 2,
    }
    assert all(features.values()), features  # the corpus holds what it says it does
    encoder = WireEncoder()
    assert parsed(encoder.request(spans)) == encode_spans(spans)
    # The second time, from the fragments kept: the same message.
    assert parsed(encoder.request(spans)) == encode_spans(spans)


def test_a_span_that_differs_from_a_kept_fragment_is_not_mistaken_for_it() -> None:
    """``True`` and ``1`` are equal dict keys in Python; their encodings are not."""
    memory = InMemorySpanExporter()
    tracer = _provider("a", memory).get_tracer("app")
    for value in (True, 1, 1.0, "1"):
        with tracer.start_as_current_span("s", attributes={"v": value}):
            pass
    spans = memory.get_finished_spans()
    encoder = WireEncoder()
    for span in spans:
        assert parsed(encoder.request([span])) == encode_spans([span])


def test_the_fragments_kept_hold_their_size_once_full() -> None:
    """A job id never repeats: the memory forgets the oldest fragment for each new one, so
    the heap holds still (P7) rather than growing to a limit and emptying."""
    memory = InMemorySpanExporter()
    tracer = _provider("a", memory).get_tracer("app")
    for n in range(50):
        with tracer.start_as_current_span("s", attributes={"app.job.id": f"job-{n}"}):
            pass
    spans = memory.get_finished_spans()
    for encoder in (WireEncoder(limit=8), WireEncoder(limit=8, scrubbing=True)):
        sizes = []
        for span in spans:
            generation, scrub_one = CleanTexts(scrub_text).batch_at()
            if encoder._scrubbing:
                made = encoder.request([span], scrub=scrub_one, generation=generation)
            else:
                made = encoder.request([span])
            assert parsed(made) == encode_spans([span])
            sizes.append(len(encoder._fragments))
        assert sizes[10:] == [8] * (len(sizes) - 10)


def test_no_spans_is_an_empty_request() -> None:
    assert parsed(WireEncoder().request([])) == encode_spans([])


_TEXT = st.text(max_size=20)
_SCALAR = st.one_of(
    _TEXT, st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False)
)
_VALUE = st.one_of(
    _SCALAR,
    st.lists(_TEXT, max_size=3).map(tuple),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            _TEXT,
            st.sampled_from(list(SpanKind)),
            st.dictionaries(st.text(min_size=1, max_size=10), _VALUE, max_size=4),
            st.one_of(st.none(), _TEXT),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_spans_encode_as_the_sdk_encodes_them(
    made: list[tuple[str, SpanKind, dict[str, Any], str | None]],
) -> None:
    memory = InMemorySpanExporter()
    tracer = _provider("a", memory).get_tracer("app")
    for name, kind, attributes, failure in made:
        with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
            if failure is not None:
                span.set_status(Status(StatusCode.ERROR, failure))
    spans = memory.get_finished_spans()
    encoder = WireEncoder()
    assert parsed(encoder.request(spans)) == encode_spans(spans)
    assert parsed(encoder.request(spans)) == encode_spans(spans)


def test_a_value_no_attribute_may_hold_is_refused_by_name() -> None:
    from shared.tracing._wire import _any

    with pytest.raises(TypeError, match="object"):
        _any(object())


# A scrubbing encoder: every text scrubbed as it is encoded is what scrubbing a copy of each
# span first (shared.tracing._scrub.scrubbed, the path every other exporter takes) and then
# encoding the copy gives, byte for byte once parsed.


def _registered() -> str:
    value = "pk-" + secrets.token_urlsafe(24)
    Secret(value, name="partner-api-key")  # registered, as the vault read registers it
    return value


def _spans_holding(key: str) -> list[ReadableSpan]:
    """A span for each place a text can be in, a value in each; and one with nothing."""
    context = SpanContext(trace_id=7, span_id=9, is_remote=False)
    error = Status(StatusCode.ERROR, f"refused {key}")
    places: list[dict[str, Any]] = [
        {"name": f"partner POST {key}"},
        {"attributes": {key: "x", "n": 1}},
        {"attributes": {"note": key, "url.full": "https://p.example/a?code=abc"}},
        {"attributes": {"bytes": key.encode(), "values": ("plain", key)}},
        {"status": error},
        {"events": [Event("exception", {"exception.message": f"said {key}"})]},
        {"links": [Link(context, {"note": key})]},
        {"attributes": {"url.path": "/v1/analyze", "app.partner.attempts": 1}},
    ]
    return [
        ReadableSpan(**{"name": "partner POST", "context": context, **place}) for place in places
    ]


def _both(spans: Sequence[ReadableSpan], encoder: WireEncoder) -> tuple[Any, Any]:
    generation, scrub_one = CleanTexts(scrub_text).batch_at()
    fused = encoder.request(spans, scrub=scrub_one, generation=generation)
    copied = WireEncoder().request([scrubbed(span, scrub_one=scrub_one) for span in spans])
    return parsed(fused), parsed(copied)


def test_scrubbing_as_it_encodes_is_scrubbing_a_copy_then_encoding_it() -> None:
    key = _registered()
    spans = [*_spans_holding(key), *varied_spans()]
    encoder = WireEncoder(scrubbing=True)
    for _ in range(2):  # the second time from the fragments kept
        fused, copied = _both(spans, encoder)
        assert fused == copied
        assert key.encode() not in fused.SerializeToString()
        assert b"[REDACTED]" in fused.SerializeToString()
        assert b"?[query removed]" in fused.SerializeToString()


def test_a_text_that_held_a_secret_is_never_kept() -> None:
    key = _registered()
    encoder = WireEncoder(scrubbing=True)
    _both(_spans_holding(key), encoder)
    kept = repr(list(encoder._fragments.items()))
    assert key not in kept
    assert "/v1/analyze" in kept  # the clean ones are


def test_a_registration_forgets_every_fragment_kept() -> None:
    """A value found clean (not yet registered) is redacted in the first request after it
    is registered, though its fragment was kept."""
    value = "pk-" + secrets.token_urlsafe(24)
    span = ReadableSpan(
        name="call", context=SpanContext(7, 9, is_remote=False), attributes={"note": value}
    )
    encoder = WireEncoder(scrubbing=True)
    before, _ = _both([span], encoder)
    assert value.encode() in before.SerializeToString()
    Secret(value, name="partner-api-key")
    after, copied = _both([span], encoder)
    assert after == copied
    assert value.encode() not in after.SerializeToString()


def test_a_scrubbing_encoder_needs_its_scrubbing_and_a_plain_one_refuses_it() -> None:
    with pytest.raises(TypeError, match="needs scrub"):
        WireEncoder(scrubbing=True).request([])
    generation, scrub_one = CleanTexts(scrub_text).batch_at()
    with pytest.raises(TypeError, match="already scrubbed"):
        WireEncoder().request([], scrub=scrub_one, generation=generation)
