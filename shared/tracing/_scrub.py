"""The redaction that guards the logs, run on every span before it is exported.

:class:`ScrubbingExporter` wraps the exporter of the span processor: every span of a batch
reaches the real exporter with its name, attribute keys and values, status description,
events (an exception's message and stack among them) and links' attributes passed through
:func:`shared.redaction.scrub` (as a copy, or the span itself when that changed nothing;
or, for the app's OTLP exporter, as each text is encoded: ``export_scrubbing``), the
function every log record goes through: a value the process registered (the partner
key, in all its encodings) or anything shaped like a secret (a token, a SAS, a key) becomes
``[REDACTED]``. A URL keeps no query (``?`` and what follows become ``?[query removed]``):
a query may carry a signature the shapes do not know. The resource's attributes are
scrubbed once, at start-up.

Why a wrapped exporter: an ended SDK span is immutable and every processor of a provider
receives the same object, so redaction cannot be a processor *beside* the exporting one; and
inside the batch processor it runs on the export thread, not on the request that ended the
span (scrubbing costs more than the span itself). A text that came out unchanged is not
scrubbed again until a value is registered (:class:`~shared.redaction.CleanTexts`, asked
once a batch whether one was): most of a span repeats from one job to the next. Nothing
reaches an exporter unscrubbed: the app builds every exporter wrapped
(:mod:`shared.tracing._setup`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
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


def scrub_value(value: Any, scrub_one: Callable[[str], str]) -> Any:
    """An attribute value with its texts scrubbed (bytes become text; a sequence, a tuple)."""
    if isinstance(value, str):
        return scrub_one(value)
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, bytes):
        return scrub_one(value.decode("utf-8", "replace"))
    if isinstance(value, Sequence):
        return tuple(scrub_value(item, scrub_one) for item in value)
    return value


def _attributes(
    attributes: Mapping[str, Any] | None, scrub_one: Callable[[str], str]
) -> tuple[dict[str, Any], bool]:
    """The attributes scrubbed, and whether that changed any of them."""
    found: dict[str, Any] = {}
    changed = False
    for key, value in (attributes or {}).items():
        clean_key, clean_value = scrub_one(key), scrub_value(value, scrub_one)
        changed = changed or clean_key != key or clean_value != value
        found[clean_key] = clean_value
    return found, changed


def scrub_attributes(
    attributes: Mapping[str, Any] | None, *, scrub_one: Callable[[str], str] = scrub_text
) -> dict[str, Any]:
    return _attributes(attributes, scrub_one)[0]


class SteadyResource(Resource):
    """A resource whose hash is computed once. The OTLP encoder groups a batch's spans by
    their resource, and ``Resource`` hashes by writing its attributes out as JSON each time
    it is asked (7 us a span here); a resource's attributes cannot change, so neither can
    its hash."""

    def __init__(self, attributes: Mapping[str, Any], schema_url: str | None = None) -> None:
        super().__init__(attributes, schema_url)
        self._steady_hash = super().__hash__()

    def __hash__(self) -> int:
        return self._steady_hash


def scrub_resource(resource: Resource) -> Resource:
    return SteadyResource(scrub_attributes(resource.attributes), resource.schema_url)


def scrubbed(span: ReadableSpan, *, scrub_one: Callable[[str], str] = scrub_text) -> ReadableSpan:
    """``span`` with everything a person could read redacted: a copy, or ``span`` itself when
    scrubbing changed none of its texts (most spans: a copy costs as much as the scrubbing
    of texts found clean before).

    :keyword scrub_one: what each text goes through (:meth:`CleanTexts.batch` for a batch).
    """
    name = scrub_one(span.name)
    attributes, changed = _attributes(span.attributes, scrub_one)
    status = span.status
    description = status.description
    clean_description = scrub_one(description) if description else None
    if (
        not changed
        and not span.events
        and not span.links
        and name == span.name
        and clean_description == (description or None)
    ):
        return span
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=[
            Event(
                scrub_one(event.name),
                scrub_attributes(event.attributes, scrub_one=scrub_one),
                event.timestamp,
            )
            for event in span.events
        ],
        links=[
            Link(link.context, scrub_attributes(link.attributes, scrub_one=scrub_one))
            for link in span.links
        ],
        kind=span.kind,
        status=Status(status.status_code, clean_description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingExporter(SpanExporter):
    """Hands ``delegate`` (the real exporter) a scrubbed copy of every span; or, to an
    exporter that scrubs as it encodes (``export_scrubbing``: the app's OTLP exporter),
    every span with the scrubbing to apply."""

    def __init__(self, delegate: SpanExporter) -> None:
        self.delegate = delegate
        self._scrubbing: Callable[..., SpanExportResult] | None = getattr(
            delegate, "export_scrubbing", None
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        generation, scrub_one = _REPEATS.batch_at()
        if self._scrubbing is not None:
            return self._scrubbing(spans, scrub=scrub_one, generation=generation)
        return self.delegate.export([scrubbed(span, scrub_one=scrub_one) for span in spans])

    def shutdown(self) -> None:
        self.delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.delegate.force_flush(timeout_millis)
