"""The redaction that guards the logs, run on every span before it is exported.

:class:`ScrubbingExporter` wraps the exporter of the span processor: every span of a batch
reaches the real exporter as a new span whose name, attribute keys and values, status
description, events (an exception's message and stack among them) and links' attributes
went through :func:`shared.redaction.scrub`, the function every log record goes through: a
value the process registered (the partner key, in all its encodings) or anything shaped
like a secret (a token, a SAS, a key) becomes ``[REDACTED]``. A URL keeps no query (``?``
and what follows become ``?[query removed]``): a query may carry a signature the shapes do
not know. The resource's attributes are scrubbed once, at start-up.

Why a wrapped exporter: an ended SDK span is immutable and every processor of a provider
receives the same object, so redaction cannot be a processor *beside* the exporting one; and
inside the batch processor it runs on the export thread, not on the request that ended the
span (scrubbing costs more than the span itself). A text that came out unchanged is not
scrubbed again until a value is registered (:class:`~shared.redaction.CleanTexts`): most
of a span repeats from one job to the next. Nothing reaches an exporter unscrubbed: the app
builds every exporter wrapped (:mod:`shared.tracing._setup`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status

from shared.redaction import CleanTexts, scrub

_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#]*)\?[^\s#]*", re.IGNORECASE)
QUERY_REMOVED = "?[query removed]"


def _scrub_text(text: str) -> str:
    return scrub(_QUERY.sub(lambda m: m.group(1) + QUERY_REMOVED, text))


#: Span names, attribute keys and most values repeat from one job to the next: a text that
#: came out unchanged is not scrubbed again until a value is registered.
_REPEATS = CleanTexts(_scrub_text)


def scrub_text(text: str) -> str:
    """``text`` with every URL's query removed and secrets redacted."""
    return _REPEATS(text)


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "replace"))
    if isinstance(value, Sequence):
        return tuple(_value(item) for item in value)
    return value


def scrub_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {scrub_text(key): _value(value) for key, value in (attributes or {}).items()}


def scrub_resource(resource: Resource) -> Resource:
    return Resource(scrub_attributes(resource.attributes), resource.schema_url)


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` with everything a person could read redacted."""
    status = span.status
    description = status.description
    return ReadableSpan(
        name=scrub_text(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=scrub_attributes(span.attributes),
        events=[
            Event(scrub_text(event.name), scrub_attributes(event.attributes), event.timestamp)
            for event in span.events
        ],
        links=[Link(link.context, scrub_attributes(link.attributes)) for link in span.links],
        kind=span.kind,
        status=Status(status.status_code, scrub_text(description) if description else None),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingExporter(SpanExporter):
    """Hands ``delegate`` (the real exporter) a scrubbed copy of every span."""

    def __init__(self, delegate: SpanExporter) -> None:
        self.delegate = delegate

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.delegate.export([scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.delegate.force_flush(timeout_millis)
