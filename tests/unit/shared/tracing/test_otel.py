"""shared.tracing._otel: the ``traceparent`` the app writes is the one OpenTelemetry's own
W3C propagator writes (https://www.w3.org/TR/trace-context/#traceparent-header), for any
ids and flags."""

from __future__ import annotations

import random

import pytest
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.tracing._otel import traceparent_of


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
