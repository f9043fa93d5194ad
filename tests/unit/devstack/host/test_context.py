"""W3C trace context for invocations (https://www.w3.org/TR/trace-context/), as the host
passes its request activity to the worker (ScriptInvocationContextExtensions.GetRpcTraceContext)."""

from __future__ import annotations

import secrets

from devstack.host.context import Attempt, child_traceparent

TRACE_ID, SPAN_ID = secrets.token_hex(16), secrets.token_hex(8)  # made at run time
PARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def test_a_valid_parent_is_continued() -> None:
    child = child_traceparent(PARENT)
    version, trace, span, flags = child.split("-")
    assert (version, trace, flags) == ("00", TRACE_ID, "01")
    assert len(span) == 16
    assert span != SPAN_ID


def test_invalid_parents_start_a_new_trace() -> None:
    for bad in (None, "", "garbage", "00-" + "0" * 32 + f"-{SPAN_ID}-01", PARENT + "x"):
        child = child_traceparent(bad)
        assert child.startswith("00-")
        assert child.split("-")[1] != "0" * 32
        assert child.endswith("-00")


def test_retry_context_defaults_to_zero_of_zero() -> None:
    context = Attempt().retry_context()
    assert (context.retry_count, context.max_retry_count, context.exception.message) == (0, 0, "")
    failed = Attempt(1, 3, ValueError("boom")).retry_context()
    assert failed.exception.message == "ValueError: boom"
    assert "ValueError" in failed.exception.stack_trace
