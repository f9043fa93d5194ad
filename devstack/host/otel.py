"""The invocation's trace context made current, as the Python worker does with
``PYTHON_ENABLE_OPENTELEMETRY``.

The worker (azure-functions-python-worker, ``otel.py`` and the dispatcher's
``_run_sync_func``) extracts each invocation's ``traceparent`` and ``tracestate`` with
OpenTelemetry's ``TraceContextTextMapPropagator`` and attaches the result on the thread that
runs the function, so spans the app opens there are children of the host's invocation. The
devstack host does the same on the same switch; it detaches afterwards, which the worker
leaves to the next invocation on the thread. Without the switch, or without OpenTelemetry
installed, nothing is imported and nothing attached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from devstack.host.context import Trace

SWITCH = "PYTHON_ENABLE_OPENTELEMETRY"
_TRUE = frozenset({"1", "true", "yes", "on"})


def switched_on(env: Mapping[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get(SWITCH, "").strip().lower() in _TRUE


def attacher() -> Callable[[Trace], AbstractContextManager[None]] | None:
    """``current(trace)``, a context in which ``trace`` is current, when the switch is on and
    OpenTelemetry is installed."""
    if not switched_on():
        return None
    try:
        from opentelemetry import context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    except ImportError:
        return None
    propagator = TraceContextTextMapPropagator()

    @contextmanager
    def current(trace: Trace) -> Iterator[None]:
        carrier: dict[str, Any] = {"traceparent": trace.parent, "tracestate": trace.state}
        token = context.attach(propagator.extract(carrier))
        try:
            yield
        finally:
            context.detach(token)

    return current
