"""W3C Trace Context's ``traceparent``, read strictly and without OpenTelemetry.

A ``traceparent`` travels in the job's queue message and in its record; both come back
from storage, where anything may have been written. Version ``00`` only, lower-case hex, a
trace id and a span id that are not all zeros (https://www.w3.org/TR/trace-context/#traceparent-header):
anything else is not a context, and the trace starts afresh, as the specification asks of
a ``traceparent`` that cannot be parsed.
"""

from __future__ import annotations

import re

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def valid_traceparent(value: object) -> str | None:
    """``value`` if it is a valid version-00 ``traceparent``, else None."""
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.fullmatch(value)
    if match is None or match.group(1) == _ZERO_TRACE or match.group(2) == _ZERO_SPAN:
        return None
    return value


def trace_id_of(traceparent: str) -> str:
    """The 32-hex-digit trace id of a valid ``traceparent``."""
    return traceparent[3:35]
