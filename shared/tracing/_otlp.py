"""The OTLP/HTTP span exporter the app uses where ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set
(the local stack): protobuf requests from :class:`~shared.tracing._wire.WireEncoder`, posted
as the OTLP specification says (https://opentelemetry.io/docs/specs/otlp/#otlphttp-request):
``POST <endpoint>/v1/traces``, ``Content-Type: application/x-protobuf``, success a 200.

It takes the place of the SDK's ``OTLPSpanExporter``, whose encoder was most of what tracing
cost a submission (docs/performance.md, P4t); its transport is what the SDK's is,
``requests`` (its adapter, without a session's per-request steps), here with urllib3's
retries for the answers the specification calls retryable (429, 502, 503, 504), within the
export's timeout. A failed export is logged
with its cause, never with its spans or the endpoint's URL, and the batch is dropped, as the
SDK drops it. An answer is read only when it says it is small (a ``Content-Length`` of at
most :data:`ANSWER_LIMIT`, as a collector's empty ``ExportTraceServiceResponse`` is), so that
its connection serves the next export: unread, a connection is closed, and every export paid
a new TLS handshake on both sides. Any other answer is closed unread: a hostile or broken
collector can make an export fail, not fill the app's memory.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence

import requests
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.httpenv import settings_for
from shared.tracing._wire import WireEncoder

_LOG = logging.getLogger("shared.tracing")
PROTOBUF = "application/x-protobuf"
#: The answers OTLP/HTTP says may be retried
#: (https://opentelemetry.io/docs/specs/otlp/#retryable-response-codes).
RETRYABLE = (429, 502, 503, 504)
#: The largest answer read (and its connection kept for the next export); the success
#: answer, an empty ``ExportTraceServiceResponse``, is a few bytes.
ANSWER_LIMIT = 64 * 1024
#: Where a failed export was going, as the logs say it: the setting, never its URL (which
#: may carry a user and password).
_WHERE = "the OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT)"


def _settle(answer: requests.Response) -> None:
    """Read ``answer`` to its end if it declares itself small, so that its connection goes
    back to the pool; close it either way (unread, its connection is dropped)."""
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) <= ANSWER_LIMIT:
        with contextlib.suppress(requests.RequestException):
            for _ in answer.iter_content(8192):
                pass
    answer.close()


def _cause(exc: requests.RequestException) -> str:
    """What went wrong, by name: behind ``requests``' ``ConnectionError`` urllib3 says which
    (``NewConnectionError`` when nobody listens, ``ReadTimeoutError`` when nobody answers)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return type(reason if isinstance(reason, Exception) else exc).__name__


class OtlpHttpExporter(SpanExporter):
    """Spans posted to an OTLP/HTTP endpoint in protobuf; one export thread at a time."""

    def __init__(self, endpoint: str, *, timeout: float = 10.0, retries: int = 3) -> None:
        """:param endpoint: the traces URL (``<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces``).
        :keyword timeout: seconds for each attempt.
        :keyword retries: attempts after the first, on a retryable answer or a refused
            connection."""
        self.endpoint = endpoint
        self._timeout = timeout
        self._encoder = WireEncoder()
        self._scrubbing_encoder = WireEncoder(scrubbing=True)
        # The environment's proxies and CA bundle for the endpoint, read once, as every
        # client of the app reads them (shared.httpenv: per request it is a scan of the
        # whole environment).
        self._send_keywords = settings_for(endpoint).as_send_keywords()
        retry = Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=RETRYABLE,
            allowed_methods=frozenset({"POST"}),
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        # The adapter sends, as a session would after preparing the request: the session's
        # own steps (its default headers, cookies, hooks, settings merged) cost more than
        # the send itself, 0.7 ms an export against 0.55 (docs/performance.md, P4t).
        self._adapter = HTTPAdapter(max_retries=retry)
        self._prepared = requests.Request(
            "POST", endpoint, headers={"Content-Type": PROTOBUF}
        ).prepare()
        self._closed = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Post ``spans``, taken as already scrubbed."""
        if self._closed:
            return SpanExportResult.FAILURE
        return self._post(self._encoder.request(spans), len(spans))

    def export_scrubbing(
        self, spans: Sequence[ReadableSpan], *, scrub: Callable[[str], str], generation: int
    ) -> SpanExportResult:
        """Post ``spans`` with every text scrubbed as it is encoded
        (:class:`~shared.tracing._scrub.ScrubbingExporter` calls it).

        :keyword scrub: what each text goes through.
        :keyword generation: the redaction registry's generation ``scrub`` judges at.
        """
        if self._closed:
            return SpanExportResult.FAILURE
        body = self._scrubbing_encoder.request(spans, scrub=scrub, generation=generation)
        return self._post(body, len(spans))

    def _post(self, body: bytes, count: int) -> SpanExportResult:
        prepared = self._prepared.copy()
        prepared.prepare_body(body, None)
        try:
            answer = self._adapter.send(
                prepared,
                stream=True,  # a collector's answer is read only if small (_settle)
                timeout=self._timeout,
                **self._send_keywords,
            )
        except requests.RequestException as exc:
            _LOG.warning("%d spans not exported to %s: %s", count, _WHERE, _cause(exc))
            return SpanExportResult.FAILURE
        _settle(answer)
        if answer.status_code != 200:
            _LOG.warning(
                "%d spans not exported to %s: answered %d", count, _WHERE, answer.status_code
            )
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._closed = True
        self._adapter.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # nothing is held: every export is posted before it returns
