"""shared.tracing._api: spans that cost nothing while tracing is off, and nest when it is on."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from shared import tracing
from shared.tracing import _api
from tests.support.spans import Recorded


def test_with_tracing_off_every_call_is_the_one_do_nothing_span() -> None:
    assert not tracing.is_enabled()
    assert tracing.span("x") is tracing.NO_SPAN
    assert tracing.start("x") is tracing.NO_SPAN
    assert tracing.current_traceparent() is None
    with tracing.span("x") as handle:
        handle.set("a", 1)
        handle.fail("boom")
    tracing.annotate({"a": 1})

    @tracing.traced("f", job="job_id")
    def f(job_id: str) -> str:
        return job_id

    assert f("j") == "j"


def test_spans_nest_and_carry_their_attributes(recorded: Recorded) -> None:
    with tracing.span("outer", kind="server", attributes={"a": 1}) as outer:
        with tracing.span("inner"):
            tracing.annotate({"b": "two"})
        parent = outer.traceparent
    outer_span, inner_span = recorded.named("outer"), recorded.named("inner")
    assert outer_span.kind == SpanKind.SERVER
    assert inner_span.parent is not None
    assert inner_span.parent.span_id == outer_span.context.span_id
    assert dict(inner_span.attributes or {}) == {"b": "two"}
    assert parent == (
        f"00-{outer_span.context.trace_id:032x}-{outer_span.context.span_id:016x}-"
        f"{int(outer_span.context.trace_flags):02x}"
    )


def test_a_given_parent_continues_that_trace_and_links_where_it_came_from(
    recorded: Recorded,
) -> None:
    job = f"00-{'4b' * 16}-{'00f0' * 4}-01"
    with tracing.span("reconcile"), tracing.span("send", kind="producer", parent=job):
        pass
    send, reconcile = recorded.named("send"), recorded.named("reconcile")
    assert f"{send.context.trace_id:032x}" == "4b" * 16
    assert send.parent is not None
    assert f"{send.parent.span_id:016x}" == "00f0" * 4
    assert [link.context.span_id for link in send.links] == [reconcile.context.span_id]


def test_an_invalid_parent_is_ignored(recorded: Recorded) -> None:
    with tracing.span("outer"), tracing.span("inner", parent="00-zz"):
        pass
    assert recorded.named("inner").parent == recorded.named("outer").context


def test_a_root_span_starts_a_trace_of_its_own(recorded: Recorded) -> None:
    with tracing.span("invocation"), tracing.span("rotation", root=True):
        pass
    rotation, invocation = recorded.named("rotation"), recorded.named("invocation")
    assert rotation.parent is None
    assert rotation.context.trace_id != invocation.context.trace_id
    assert [link.context for link in rotation.links] == [invocation.context]


def test_an_escaping_error_is_recorded_and_fails_the_span(recorded: Recorded) -> None:
    with pytest.raises(ValueError, match="bad input"), tracing.span("work"):
        raise ValueError("bad input")
    work = recorded.named("work")
    assert work.status.status_code == StatusCode.ERROR
    assert (work.attributes or {})["error.type"] == "ValueError"
    assert [event.name for event in work.events] == ["exception"]


def test_traced_names_the_job_from_its_argument(recorded: Recorded) -> None:
    class Record:
        id = "job-7"

    @tracing.traced("store create", job="record")
    def create(record: Record) -> None:
        pass

    @tracing.traced("store get", job="job_id")
    def get(store: object, job_id: str) -> None:
        pass

    create(Record())
    get(None, job_id="job-8")
    assert (recorded.named("store create").attributes or {})["app.job.id"] == "job-7"
    assert (recorded.named("store get").attributes or {})["app.job.id"] == "job-8"


def test_traced_refuses_a_parameter_the_function_does_not_have() -> None:
    with pytest.raises(TypeError):
        tracing.traced("x", job="nope")(lambda job_id: None)


def test_start_and_end_in_two_places(recorded: Recorded) -> None:
    opened = tracing.start("partner POST", kind="client")
    with tracing.span("child"):
        pass
    opened.set("http.response.status_code", 503)
    opened.fail("503")
    opened.end()
    partner = recorded.named("partner POST")
    assert recorded.named("child").parent == partner.context
    assert partner.status.status_code == StatusCode.ERROR


def test_paused_switches_tracing_off_for_a_block(recorded: Recorded) -> None:
    with tracing.paused():
        assert not tracing.is_enabled()
        with tracing.span("hidden"):
            pass
    with tracing.span("seen"):
        pass
    assert [s.name for s in recorded.spans()] == ["seen"]
    assert _api.is_enabled()


class _Nothing:
    def open(self, name: str, **options: object) -> tracing.SpanHandle:
        return tracing.NO_SPAN

    def current(self) -> tracing.SpanHandle:
        return tracing.NO_SPAN


def test_active_names_the_backend_spans_go_to(recorded: Recorded) -> None:
    backend = tracing.active()
    assert backend is not None
    with tracing.paused():
        assert tracing.active() is None
    other = _Nothing()
    with tracing.using(other):
        assert tracing.active() is other
    assert tracing.active() is backend
