"""Tracing started once, at start-up, from the settings; or not at all.

On when ``TRACING_SAMPLE_RATIO`` is above 0 and there is somewhere to send spans:

* ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the local stack): OTLP/HTTP in protobuf, batched, to
  ``<endpoint>/v1/traces`` (:mod:`shared.tracing._otlp`);
* ``APPLICATIONINSIGHTS_CONNECTION_STRING`` (Azure): the Azure Monitor OpenTelemetry distro,
  as "Use OpenTelemetry with Azure Functions" prescribes for Python
  (https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto?pivot=programming-language-python),
  with the app's credential, so ingestion is authenticated with Entra and the connection
  string's instrumentation key authenticates nothing (the component refuses it: local
  authentication is off in infra/). The distro exports the app's logs (with
  ``PYTHON_ENABLE_OPENTELEMETRY`` the host leaves them to the worker) through the log
  redaction every handler has; its automatic instrumentations and metrics stay off. Spans
  go through the distro's exporter, scrubbed, on the app's provider:
  the distro's own tracing pipeline would export spans before anything could scrub them.

Every exporter is wrapped by :class:`~shared.tracing._scrub.ScrubbingExporter`, inside a
batch span processor: spans are scrubbed on the export thread, in batches.

Otherwise nothing is imported: with tracing off the app's cold import carries no
OpenTelemetry (``bench`` P1). Sampling is by trace id (``TraceIdRatioBased`` locally, the
distro's ``ApplicationInsightsSampler`` in Azure, which hashes as Application Insights
does), never by the parent's flag: a job's spans are made in three processes over minutes,
and deciding on the trace id keeps them all or none of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.settings import (
    APPLICATIONINSIGHTS_CONNECTION_STRING,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    TRACING_SAMPLE_RATIO,
)
from shared.settings.errors import SettingsError
from shared.tracing import _api

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.sampling import Sampler

_LOG = logging.getLogger("shared.tracing")
SERVICE_NAME = "secretless-functions"
#: Locally spans reach the devstack within half a second (its trace command reads them).
LOCAL_EXPORT_DELAY_MS = 500
#: The exporter's own traffic besides the app's telemetry, switched off unless set otherwise:
#: SDK statistics sent to Microsoft's ingestion under Microsoft's key ("statsbeat") and the
#: remote configuration it polls ("OneSettings"). The app talks to its own component only
#: (and a closed network would refuse the rest).
EXPORTER_QUIET = {
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
}
#: Every automatic instrumentation the distro would switch on, switched off: the app opens
#: its own spans, named and scrubbed, and an instrumented HTTP client would record URLs.
DISTRO_INSTRUMENTATIONS = (
    "azure_sdk",
    "django",
    "fastapi",
    "flask",
    "httpx",
    "psycopg2",
    "requests",
    "urllib",
    "urllib3",
)


def start_tracing(env: Mapping[str, str] | None = None) -> bool:
    """Start tracing if the settings ask for it; True when it is on. Idempotent."""
    if _api.is_enabled():
        return True
    env = os.environ if env is None else env
    ratio = TRACING_SAMPLE_RATIO.get(env)
    otlp = OTEL_EXPORTER_OTLP_ENDPOINT.read(env)
    insights = APPLICATIONINSIGHTS_CONNECTION_STRING.read(env)
    if ratio == 0 or not (otlp or insights):
        return False
    provider = build_provider(ratio=ratio, otlp=otlp, insights=insights, env=env)
    from shared.tracing._otel import OtelBackend

    _api.activate(OtelBackend(provider, by_trace_id=True))  # the samplers built below
    _LOG.info(
        "tracing on: %s, %.0f %% of traces kept",
        "Application Insights" if insights else "OTLP",
        ratio * 100,
    )
    return True


def flush_tracing(timeout_s: float = 10.0) -> bool:
    """Export every span ended so far and wait for it; True when all went (or tracing is
    off). The benchmarks read the host's heap after it: spans queued for export are in
    flight, not held (P7, bench/heaptrace)."""
    provider = getattr(_api._active, "provider", None)
    if provider is None:
        return True
    return bool(provider.force_flush(int(timeout_s * 1000)))


def stop_tracing() -> None:
    """Export what is pending and switch tracing off (tests; the end of a benchmark)."""
    backend = _api._active
    _api.activate(None)
    provider = getattr(backend, "provider", None)
    if provider is not None:
        provider.shutdown()


def build_provider(
    *, ratio: float, otlp: str | None, insights: str | None, env: Mapping[str, str]
) -> TracerProvider:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from shared.tracing._scrub import ScrubbingExporter, scrub_resource

    name = env.get("WEBSITE_SITE_NAME") or SERVICE_NAME
    resource = scrub_resource(Resource({"service.name": name}))
    processors: list[SpanProcessor] = []
    sampler: Sampler
    if insights:
        sampler, exporter = _azure_monitor(insights, ratio)
        processors.append(BatchSpanProcessor(ScrubbingExporter(exporter)))
    else:
        from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

        sampler = TraceIdRatioBased(ratio)
    if otlp:
        OtlpHttpExporter = _otlp_exporter()
        exporter = OtlpHttpExporter(otlp.rstrip("/") + "/v1/traces", timeout=10)
        scrubbing = ScrubbingExporter(exporter)
        processors.append(
            BatchSpanProcessor(scrubbing, schedule_delay_millis=LOCAL_EXPORT_DELAY_MS)
        )
    provider = TracerProvider(sampler=sampler, resource=resource)
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def _otlp_exporter() -> Any:
    """The OTLP/HTTP exporter class; a setting that names the cause and the fix when the
    OTLP messages it writes are not installed (they are the local stack's, a development
    dependency: the deployed app sends its spans to Application Insights)."""
    try:
        from shared.tracing._otlp import OtlpHttpExporter
    except ImportError as exc:
        raise SettingsError(
            OTEL_EXPORTER_OTLP_ENDPOINT.name,
            "set, but the OTLP messages (opentelemetry-proto, in requirements-dev.txt) are "
            "not installed: remove the setting (in Azure, spans go to Application Insights "
            "through APPLICATIONINSIGHTS_CONNECTION_STRING) or install them",
        ) from exc
    return OtlpHttpExporter


def _azure_monitor(connection_string: str, ratio: float) -> tuple[Sampler, Any]:
    """The distro set up for logs with the app's credential, and the trace exporter and
    sampler it would use, for the app's own (scrubbing) pipeline."""
    from azure.monitor.opentelemetry import configure_azure_monitor
    from azure.monitor.opentelemetry.exporter import (
        ApplicationInsightsSampler,
        AzureMonitorTraceExporter,
    )

    from shared.identity import get_credential

    for name, value in EXPORTER_QUIET.items():
        os.environ.setdefault(name, value)
    credential = get_credential()
    configure_azure_monitor(
        connection_string=connection_string,
        credential=credential,
        disable_tracing=True,
        disable_metrics=True,
        enable_live_metrics=False,
        enable_performance_counters=False,
        instrumentation_options={name: {"enabled": False} for name in DISTRO_INSTRUMENTATIONS},
    )
    exporter = AzureMonitorTraceExporter(connection_string=connection_string, credential=credential)
    return ApplicationInsightsSampler(sampling_ratio=ratio), exporter
