"""Spans recorded in memory, as an exporter would be handed them: the app's own tracing
backend over a provider whose exporter is wrapped by the scrubbing one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.tracing import ScrubbingExporter, using


class Recorded:
    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        (found,) = [s for s in self.spans() if s.name == name]
        return found


@contextmanager
def recording() -> Iterator[Recorded]:
    """Tracing on, into memory, for the block."""
    from shared.tracing._otel import OtelBackend

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ScrubbingExporter(exporter)))
    try:
        with using(OtelBackend(provider)):
            yield Recorded(exporter)
    finally:
        provider.shutdown()
