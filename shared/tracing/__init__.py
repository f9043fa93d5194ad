"""One trace per job: the spans the app opens, scrubbed, exported only when tracing is on.

The facade (``_api``: :func:`span`, :func:`traced`, :func:`start`, :func:`annotate`,
:func:`current_traceparent`) and the ``traceparent`` rules (``_context``) import nothing
heavy, so every module may trace and the app's cold import is unchanged while tracing is
off. :func:`start_tracing` (called once at start-up) loads the OpenTelemetry SDK and the
exporter the settings name (``_setup``); every span is scrubbed by the exporter wrapper
(``_scrub``) on its way out. docs/tracing.md tells the whole story.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.tracing._api import (
    NO_SPAN,
    Backend,
    SpanHandle,
    Value,
    active,
    annotate,
    current_traceparent,
    is_enabled,
    paused,
    span,
    start,
    traced,
    using,
)
from shared.tracing._context import trace_id_of, valid_traceparent

if TYPE_CHECKING:
    from shared.tracing._scrub import ScrubbingExporter, scrub_text, scrubbed
    from shared.tracing._setup import (
        build_provider,
        flush_tracing,
        start_tracing,
        stop_tracing,
    )

__all__ = [
    "NO_SPAN",
    "Backend",
    "ScrubbingExporter",
    "SpanHandle",
    "Value",
    "active",
    "annotate",
    "build_provider",
    "current_traceparent",
    "flush_tracing",
    "is_enabled",
    "paused",
    "scrub_text",
    "scrubbed",
    "span",
    "start",
    "start_tracing",
    "stop_tracing",
    "trace_id_of",
    "traced",
    "using",
    "valid_traceparent",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            **dict.fromkeys(("ScrubbingExporter", "scrub_text", "scrubbed"), "._scrub"),
            **dict.fromkeys(
                ("build_provider", "flush_tracing", "start_tracing", "stop_tracing"), "._setup"
            ),
        },
    )
