"""OTLP/HTTP trace export requests: checked as they arrive, decoded into spans when read.

The app's exporter (:mod:`shared.tracing._otlp`) posts an ``ExportTraceServiceRequest`` in
protobuf (``application/x-protobuf``); any OTLP/HTTP exporter may, gzip-compressed too
(the SDK's, with ``OTEL_EXPORTER_OTLP_COMPRESSION=gzip``); the answer is an empty
``ExportTraceServiceResponse`` (https://opentelemetry.io/docs/specs/otlp/#otlphttp). JSON
OTLP is not taken: the app never sends it, and one encoding keeps the receiver small.

The receiver keeps a request as it came, inflated (:func:`checked_body`). A span becomes a
plain dict only when a trace is read (:func:`spans_of`, called by
:mod:`devstack.traces.store`): hex ids (``parent_id`` empty for a root), ISO 8601 times in
UTC to the microsecond, the kind and status as lower-case words, attributes flattened to
JSON values, events and links likewise, and the resource's ``service.name``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

PROTOBUF = "application/x-protobuf"
MAX_BODY_BYTES = 16 * 1024 * 1024
_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS = {0: "unset", 1: "ok", 2: "error"}


class OtlpError(ValueError):
    """A request that is not an OTLP/HTTP protobuf trace export (the answer is a 4xx)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def response_body() -> bytes:
    return bytes(ExportTraceServiceResponse().SerializeToString())


def decode_request(body: bytes, *, content_type: str, encoding: str = "") -> list[dict[str, Any]]:
    """The spans of one export request, as the receiver checks it and the store reads it.

    :raises OtlpError: see :func:`checked_body`.
    """
    return list(
        spans_of(parse_message(_inflated(body, content_type=content_type, encoding=encoding)))
    )


def checked_body(body: bytes, *, content_type: str, encoding: str = "") -> bytes:
    """The request's body, inflated, once it has parsed as an export request: what the
    store keeps.

    :raises OtlpError: another media type (415), a body that is not gzip or not the
        message, or too large once inflated (400/413).
    """
    inflated = _inflated(body, content_type=content_type, encoding=encoding)
    parse_message(inflated)
    return inflated


def _inflated(body: bytes, *, content_type: str, encoding: str) -> bytes:
    if content_type.split(";")[0].strip().lower() != PROTOBUF:
        raise OtlpError(f"send {PROTOBUF} (OTLP/HTTP protobuf)", status=415)
    if encoding.strip().lower() == "gzip":
        body = _gunzip(body)
    elif encoding.strip() not in ("", "identity"):
        raise OtlpError(f"Content-Encoding {encoding!r} is not taken (gzip or none)", status=415)
    if len(body) > MAX_BODY_BYTES:
        raise OtlpError(f"the request exceeds {MAX_BODY_BYTES} bytes", status=413)
    return body


def _gunzip(body: bytes) -> bytes:
    """``body`` inflated, one gzip member after another, never past :data:`MAX_BODY_BYTES`:
    a few kilobytes of gzip can inflate to gigabytes, which are refused (413) before they
    are held."""
    inflated = bytearray()
    rest = body
    while True:
        member = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        try:
            inflated += member.decompress(rest, MAX_BODY_BYTES + 1 - len(inflated))
        except zlib.error:
            raise OtlpError("the body is not valid gzip") from None
        if len(inflated) > MAX_BODY_BYTES or member.unconsumed_tail:
            raise OtlpError(f"the request exceeds {MAX_BODY_BYTES} bytes", status=413)
        if not member.eof:
            raise OtlpError("the body is not valid gzip") from None
        rest = member.unused_data
        if not rest:
            return bytes(inflated)


def parse_message(body: bytes | memoryview) -> ExportTraceServiceRequest:
    """``body`` parsed as an export request (protobuf, inflated).

    :raises OtlpError: it is not one (400).
    """
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except Exception:  # protobuf's DecodeError, and whatever a hostile body provokes
        raise OtlpError("the body is not an ExportTraceServiceRequest") from None
    return request


def spans_of(request: ExportTraceServiceRequest) -> Iterator[dict[str, Any]]:
    """The request's spans as the devstack shows them, one at a time."""
    for resource_spans in request.resource_spans:
        service = _attributes(resource_spans.resource.attributes).get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield _span(span, str(service))


def _span(span: Span, service: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_id": span.parent_span_id.hex(),
        "name": span.name,
        "kind": _KINDS.get(span.kind, "unspecified"),
        "start": iso(span.start_time_unix_nano),
        "end": iso(span.end_time_unix_nano),
        "status": _STATUS.get(span.status.code, "unset"),
        "attributes": _attributes(span.attributes),
        "service": service,
    }
    if span.status.message:
        found["status_message"] = span.status.message
    if span.events:
        found["events"] = [
            {"name": e.name, "time": iso(e.time_unix_nano), "attributes": _attributes(e.attributes)}
            for e in span.events
        ]
    if span.links:
        found["links"] = [
            {
                "trace_id": link.trace_id.hex(),
                "span_id": link.span_id.hex(),
                "attributes": _attributes(link.attributes),
            }
            for link in span.links
        ]
    return found


def iso(unix_nano: int) -> str:
    """``unix_nano`` as ISO 8601 in UTC to the microsecond, ``Z``-suffixed (the microseconds
    truncated). The spans of a batch mostly share their second, whose text is kept: the
    formatting was the largest part of decoding a span."""
    global _SECOND
    seconds, micros = divmod(unix_nano // 1000, 1_000_000)
    kept = _SECOND  # one read: another thread may replace it meanwhile, never change it
    if kept[0] != seconds:
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
        kept = _SECOND = (seconds, moment.strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{kept[1]}.{micros:06d}Z"


_SECOND: tuple[int, str] = (-1, "")  # the second last formatted, and its text


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if which == "bytes_value":
        return value.bytes_value.hex()
    if which is None:
        return None
    return getattr(value, which)
