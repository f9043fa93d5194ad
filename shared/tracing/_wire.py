"""OTLP trace export requests in protobuf, built from fragments that repeat.

The SDK's encoder (``opentelemetry-exporter-otlp-proto-common``) builds a protobuf message
per span, per attribute and per value, then serializes the whole request: about 35 us a
span here, the largest part of what tracing costs a submission (docs/performance.md, P4t).
Most of a span repeats from one job to the next: its name, its status, most attribute pairs.
Here each such part is serialized once, by protobuf itself, and kept as bytes; a span is its
ids and times (one small message) followed by those fragments. Protobuf's encoding allows
this: a message's fields may come in any order, and repeated fields append, so the
concatenation parses to the very message the SDK's encoder builds
(``tests/unit/shared/tracing/test_wire.py`` parses both and compares them, for spans with
every feature the SDK records). Only the nesting of spans into their scope, resource and
request is written here, as protobuf's length-delimited fields
(https://protobuf.dev/programming-guides/encoding/#length-types).

The fragments are of texts already scrubbed (:mod:`shared.tracing._scrub` runs first), so
keeping them keeps nothing that was not about to be sent.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PbResource
from opentelemetry.proto.trace.v1.trace_pb2 import (
    ResourceSpans,
    ScopeSpans,
    Span,
    SpanFlags,
    Status,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, SpanKind

from shared.tracing._scrub import scrub_value, scrubbed

_KINDS = {
    SpanKind.INTERNAL: Span.SPAN_KIND_INTERNAL,
    SpanKind.SERVER: Span.SPAN_KIND_SERVER,
    SpanKind.CLIENT: Span.SPAN_KIND_CLIENT,
    SpanKind.PRODUCER: Span.SPAN_KIND_PRODUCER,
    SpanKind.CONSUMER: Span.SPAN_KIND_CONSUMER,
}
_LOCAL_PARENT = SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
_REMOTE_PARENT = _LOCAL_PARENT | SpanFlags.SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK
#: The fixed part of a span, written here: the ids (bytes, fields 1, 2 and 4), the kind
#: (a varint, field 6), the start and end (fixed64, fields 7 and 8) and the flags (fixed32,
#: field 16), each after its tag (the field's number and wire type).
_TRACE_ID, _SPAN_ID, _PARENT_SPAN_ID = b"\x0a\x10", b"\x12\x08", b"\x22\x08"
_KIND_TAG, _START_TAG, _END_TAG, _FLAGS_TAG = 0x30, 0x39, 0x41, 0x0185
_TIMES = struct.Struct("<BBBQBQHI")
#: Field numbers of the nesting written here, read from the messages' own descriptors.
_SCOPE_SPANS_SPANS = ScopeSpans.DESCRIPTOR.fields_by_name["spans"].number
_RESOURCE_SPANS_SCOPES = ResourceSpans.DESCRIPTOR.fields_by_name["scope_spans"].number
_REQUEST_RESOURCE_SPANS = 1  # ExportTraceServiceRequest.resource_spans
#: The most fragments kept. Once full, the memory forgets the one kept longest ago for
#: each new one, so it holds its size: a job id is a value that never repeats, and a memory
#: that grew until a limit and then emptied would be a saw tooth in the process's heap (P7).
#: A fragment that does repeat and was forgotten is made again, once.
FRAGMENT_LIMIT = 256


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _nested(number: int, payload: bytes) -> bytes:
    """A length-delimited field ``number`` holding ``payload``."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _any(value: Any) -> AnyValue:
    """A value as the SDK's encoder writes it (bool before int: a bool is an int)."""
    if value is None:
        return AnyValue()
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, Sequence):
        return AnyValue(array_value=ArrayValue(values=[_any(item) for item in value]))
    if isinstance(value, Mapping):
        pairs = [KeyValue(key=str(k), value=_any(v)) for k, v in value.items()]
        return AnyValue(kvlist_value=KeyValueList(values=pairs))
    raise TypeError(f"an attribute value of type {type(value).__name__} cannot be encoded")


def key_values(attributes: Mapping[str, Any] | None) -> list[KeyValue]:
    return [KeyValue(key=key, value=_any(value)) for key, value in (attributes or {}).items()]


def _rare(span: ReadableSpan) -> Span | None:
    """What few spans have, as the SDK's encoder writes it: a trace state, dropped counts,
    events, links (None when the span has none of them)."""
    trace_state = span.context.trace_state
    if not (
        trace_state
        or span.events
        or span.links
        or span.dropped_attributes
        or span.dropped_events
        or span.dropped_links
    ):
        return None
    return Span(
        trace_state=",".join(f"{k}={v}" for k, v in trace_state.items()) if trace_state else "",
        dropped_attributes_count=span.dropped_attributes,
        dropped_events_count=span.dropped_events,
        dropped_links_count=span.dropped_links,
        events=[
            Span.Event(
                name=event.name,
                time_unix_nano=event.timestamp,
                attributes=key_values(event.attributes),
                dropped_attributes_count=event.dropped_attributes,
            )
            for event in span.events
        ],
        links=[
            Span.Link(
                trace_id=link.context.trace_id.to_bytes(16, "big"),
                span_id=link.context.span_id.to_bytes(8, "big"),
                attributes=key_values(link.attributes),
                dropped_attributes_count=link.dropped_attributes,
                flags=_parent_flags(link.context),
            )
            for link in span.links
        ],
    )


def _parent_flags(context: SpanContext | None) -> int:
    return _REMOTE_PARENT if context is not None and context.is_remote else _LOCAL_PARENT


class WireEncoder:
    """Export requests as bytes, with the fragments that repeat kept; safe for one export
    thread (a batch span processor exports from one).

    With ``scrubbing``, every text of a span (its name, attribute keys and values, status
    description, events and links) goes through the ``scrub`` each request is given, as it
    is encoded: one pass where scrubbing a copy of each span first and encoding the copy
    took two, each looking every text up again (docs/performance.md, P4t). A fragment is
    then kept only when scrubbing left its texts as they were, under the redaction
    registry's ``generation`` the request was scrubbed at: a registration forgets every
    fragment, and a text that held a secret is never kept, as
    :class:`~shared.redaction.CleanTexts` never keeps one. Without ``scrubbing`` the spans
    are taken as already scrubbed.
    """

    def __init__(self, *, limit: int = FRAGMENT_LIMIT, scrubbing: bool = False) -> None:
        self._limit = limit
        self._scrubbing = scrubbing
        self._generation: int | None = None
        self._fragments: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        #: Resources and scopes by identity (a ``Resource`` hashes by writing itself out
        #: as JSON), each kept beside its bytes so that its id cannot be reused meanwhile.
        self._owners: dict[int, tuple[Any, bytes]] = {}

    def request(
        self,
        spans: Iterable[ReadableSpan],
        *,
        scrub: Callable[[str], str] | None = None,
        generation: int | None = None,
    ) -> bytes:
        """One ``ExportTraceServiceRequest``: the spans grouped by resource, then by
        instrumentation scope, in the order first met (as the SDK's encoder groups them).

        :keyword scrub: what each text goes through (a scrubbing encoder only).
        :keyword generation: the redaction registry's generation ``scrub`` judges at, read
            before it scrubbed anything (:meth:`~shared.redaction.CleanTexts.batch_at`).
        """
        if self._scrubbing:
            if scrub is None or generation is None:
                raise TypeError("a scrubbing encoder needs scrub and its generation")
            if generation != self._generation:
                self._fragments.clear()
                self._generation = generation
        elif scrub is not None:
            raise TypeError("this encoder takes spans already scrubbed")
        groups: dict[int, tuple[bytes, dict[int, tuple[bytes, list[bytes]]]]] = {}
        for span in spans:
            resource = span.resource
            group = groups.get(id(resource))
            if group is None:
                group = groups[id(resource)] = (self._owned(resource, _resource), {})
            scope = span.instrumentation_scope or None
            spans_of = group[1].get(id(scope))
            if spans_of is None:
                spans_of = group[1][id(scope)] = (self._owned(scope, _scope), [])
            spans_of[1].append(_nested(_SCOPE_SPANS_SPANS, self.span(span, scrub=scrub)))
        out = []
        for resource_bytes, scopes in groups.values():
            scope_spans = b"".join(
                _nested(_RESOURCE_SPANS_SCOPES, scope_bytes + b"".join(encoded))
                for scope_bytes, encoded in scopes.values()
            )
            out.append(_nested(_REQUEST_RESOURCE_SPANS, resource_bytes + scope_spans))
        return b"".join(out)

    def span(self, span: ReadableSpan, *, scrub: Callable[[str], str] | None = None) -> bytes:
        """One ``Span`` message's bytes; with ``scrub``, its texts scrubbed, and a fragment
        kept only when its texts came out as they went in (without, the texts are taken as
        already scrubbed, and every fragment is kept)."""
        if scrub is not None and (span.events or span.links):
            # Rare, and not kept: a scrubbed copy, scrubbed again below as every span is
            # (which changes nothing more).
            span = scrubbed(span, scrub_one=scrub)
        parts = _fixed(span)
        fragments = self._fragments
        name = span.name
        found = fragments.get(("name", name))
        if found is None:
            clean = name if scrub is None else scrub(name)
            found = self._kept_if(clean == name, ("name", name), _name_bytes(clean))
        parts.append(found)
        for key, value in (span.attributes or {}).items():
            try:
                found = fragments.get(("attribute", key, type(value), value))
            except TypeError:  # a value that cannot be a dict key (a list): not kept
                found = None
            if found is None:
                clean_key, clean_value = (
                    (key, value) if scrub is None else (scrub(key), scrub_value(value, scrub))
                )
                found = self._kept_if(
                    clean_key == key and clean_value == value,
                    ("attribute", key, type(value), value),
                    _attribute_bytes(clean_key, clean_value),
                )
            parts.append(found)
        rare = _rare(span)
        if rare is not None:
            parts.append(rare.SerializeToString())
        status = span.status
        code, description = status.status_code.value, status.description
        found = fragments.get(("status", code, description))
        if found is None:
            clean_description = (
                scrub(description) if scrub is not None and description else description
            )
            found = self._kept_if(
                clean_description == description,
                ("status", code, description),
                _status_bytes(code, clean_description),
            )
        parts.append(found)
        return b"".join(parts)

    def _kept_if(self, clean: bool, key: tuple[Any, ...], fragment: bytes) -> bytes:
        if clean:
            try:
                self._fragments[key] = fragment
            except TypeError:  # a value that cannot be a dict key: not kept
                return fragment
            if len(self._fragments) > self._limit:
                self._fragments.popitem(last=False)
        return fragment

    def _owned(self, owner: Any, make: Callable[[Any], bytes]) -> bytes:
        found = self._owners.get(id(owner))
        if found is None or found[0] is not owner:
            if len(self._owners) >= 16:  # one resource and one scope, in the app
                self._owners.clear()
            found = self._owners[id(owner)] = (owner, make(owner))
        return found[1]


def _name_bytes(name: str) -> bytes:
    return bytes(Span(name=name).SerializeToString())


def _attribute_bytes(key: str, value: Any) -> bytes:
    return bytes(Span(attributes=[KeyValue(key=key, value=_any(value))]).SerializeToString())


def _status_bytes(code: int, description: str | None) -> bytes:
    message = Span(status=Status(code=cast(Any, code), message=description or ""))
    return bytes(message.SerializeToString())


def _fixed(span: ReadableSpan) -> list[bytes]:
    """The start of a span's bytes: its ids, kind, times and flags."""
    context = span.context
    parent = span.parent
    parts = [
        _TRACE_ID,
        context.trace_id.to_bytes(16, "big"),
        _SPAN_ID,
        context.span_id.to_bytes(8, "big"),
    ]
    if parent is not None:
        parts += (_PARENT_SPAN_ID, parent.span_id.to_bytes(8, "big"))
    parts.append(
        _TIMES.pack(
            _KIND_TAG,
            _KINDS[span.kind],
            _START_TAG,
            span.start_time or 0,
            _END_TAG,
            span.end_time or 0,
            _FLAGS_TAG,
            _REMOTE_PARENT if parent is not None and parent.is_remote else _LOCAL_PARENT,
        )
    )
    return parts


def _scope(scope: Any) -> bytes:
    """A ``ScopeSpans`` with no spans yet: its scope and schema."""
    if scope is None:
        return bytes(ScopeSpans(scope=InstrumentationScope()).SerializeToString())
    message = ScopeSpans(
        scope=InstrumentationScope(
            name=scope.name, version=scope.version, attributes=key_values(scope.attributes)
        ),
        schema_url=scope.schema_url,
    )
    return bytes(message.SerializeToString())


def _resource(resource: Any) -> bytes:
    """A ``ResourceSpans`` with no scopes yet: its resource and schema."""
    message = ResourceSpans(
        resource=PbResource(attributes=key_values(resource.attributes)),
        schema_url=resource.schema_url,
    )
    return bytes(message.SerializeToString())
