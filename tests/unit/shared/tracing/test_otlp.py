"""shared.tracing._otlp: spans posted as OTLP/HTTP says, to a real local server.

The server answers what the test says (200, a retryable 503, a refusing 400); what it
receives is parsed with the OTLP messages and compared with the SDK's own encoding.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.tracing._otlp import PROTOBUF, OtlpHttpExporter


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers: list[int] = []  # one per request; 200 once they run out
        self.received: list[tuple[str, str, bytes]] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, self.headers["Content-Type"], body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _spans() -> tuple[ReadableSpan, ...]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "svc"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    with (
        tracer.start_as_current_span("outer", attributes={"n": 1}),
        tracer.start_as_current_span("inner"),
    ):
        pass
    return memory.get_finished_spans()


def _url(server: _Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/x/v1/traces"


def test_spans_are_posted_in_protobuf_as_the_sdk_encodes_them(receiver: _Receiver) -> None:
    spans = _spans()
    exporter = OtlpHttpExporter(_url(receiver))
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    [(path, content_type, body)] = receiver.received
    assert (path, content_type) == ("/x/v1/traces", PROTOBUF)
    assert ExportTraceServiceRequest.FromString(body) == encode_spans(spans)


def test_a_retryable_answer_is_tried_again(receiver: _Receiver) -> None:
    """503 is retryable (https://opentelemetry.io/docs/specs/otlp/#retryable-response-codes)."""
    receiver.answers = [503, 503]
    assert OtlpHttpExporter(_url(receiver)).export(_spans()) is SpanExportResult.SUCCESS
    assert len(receiver.received) == 3


def test_a_refusal_fails_the_export_once_and_logs_no_span(
    receiver: _Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.answers = [400]
    with caplog.at_level(logging.WARNING, logger="shared.tracing"):
        assert OtlpHttpExporter(_url(receiver)).export(_spans()) is SpanExportResult.FAILURE
    assert len(receiver.received) == 1
    assert "answered 400" in caplog.text
    assert "outer" not in caplog.text
    assert "inner" not in caplog.text


def test_nobody_listening_fails_the_export_naming_the_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    exporter = OtlpHttpExporter(f"http://127.0.0.1:{port}/v1/traces", retries=0)
    with caplog.at_level(logging.WARNING, logger="shared.tracing"):
        assert exporter.export(_spans()) is SpanExportResult.FAILURE
    assert "NewConnectionError" in caplog.text


def test_after_shutdown_nothing_is_sent(receiver: _Receiver) -> None:
    exporter = OtlpHttpExporter(_url(receiver))
    exporter.shutdown()
    assert exporter.export(_spans()) is SpanExportResult.FAILURE
    assert receiver.received == []


def test_the_environments_proxy_is_read_once_when_the_exporter_is_built(
    receiver: _Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As every client of the app (shared.httpenv): the receiver here plays the proxy, so a
    request it gets names the endpoint in full."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{receiver.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    exporter = OtlpHttpExporter("http://collector.invalid/v1/traces", retries=0)
    monkeypatch.delenv("HTTP_PROXY")
    assert exporter.export(_spans()) is SpanExportResult.SUCCESS
    [(path, _, _)] = receiver.received
    assert path == "http://collector.invalid/v1/traces"


class _KeepAlive(_Handler):
    """The receiver over HTTP/1.1, counting the connections it was given."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1  # type: ignore[attr-defined]


def test_one_connection_serves_every_export() -> None:
    """A collector's small answer is read, so its connection is kept: unread, each export
    opened a new one (a TLS handshake on both sides)."""
    server = _Receiver()
    server.RequestHandlerClass = _KeepAlive
    server.connections = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        exporter = OtlpHttpExporter(_url(server))
        for _ in range(3):
            assert exporter.export(_spans()) is SpanExportResult.SUCCESS
        assert len(server.received) == 3
        assert server.connections == 1  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


class _Hostile(BaseHTTPRequestHandler):
    """A collector that answers 200 with an endless body, or (``/slow``) not at all."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/slow":
            time.sleep(2)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 40))
        self.end_headers()
        with contextlib.suppress(OSError):
            while True:
                self.wfile.write(b"\0" * 65536)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://user:{secrets.token_hex(8)}@127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endless_answer_is_not_read(hostile: str) -> None:
    """The body of the collector's answer is never read (nor held)."""
    exporter = OtlpHttpExporter(f"{hostile}/v1/traces", retries=0)
    assert exporter.export(_spans()) is SpanExportResult.SUCCESS


def test_a_collector_that_never_answers_fails_the_export_at_the_timeout(
    hostile: str, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = OtlpHttpExporter(f"{hostile}/slow", timeout=0.2, retries=0)
    with caplog.at_level(logging.WARNING, logger="shared.tracing"):
        assert exporter.export(_spans()) is SpanExportResult.FAILURE
    assert "ReadTimeoutError" in caplog.text
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in caplog.text
    assert hostile.split("@")[0].split(":")[-1] not in caplog.text  # the URL's password
