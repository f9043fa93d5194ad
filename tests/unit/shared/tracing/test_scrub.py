"""shared.tracing._scrub: what an exporter is handed carries no secret, token or URL query.

Each case plants a value where a careless span would carry it (a name, an attribute key or
value, a list, an exception's message and stack, a status, a link's attributes) and reads
what the exporting processor received.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from shared import tracing
from shared.redaction import Secret
from tests.support.secret_shapes import jwt_like
from tests.support.spans import Recorded


@pytest.fixture
def key() -> str:
    value = "pk-" + "Zq3" * 10
    Secret(value, name="partner-api-key")  # registered, as the vault read registers it
    return value


def everything(recorded: Recorded) -> str:
    text = []
    for span in recorded.spans():
        text += [span.name, repr(dict(span.attributes or {})), str(span.status.description)]
        text += [repr(dict(event.attributes or {})) + event.name for event in span.events]
        text += [repr(dict(link.attributes or {})) for link in span.links]
    return "\n".join(text)


def test_a_registered_value_is_nowhere_in_what_is_exported(recorded: Recorded, key: str) -> None:
    with tracing.span("outer") as outer:
        parent = outer.traceparent

    def call() -> None:
        with tracing.span(f"call {key}", attributes={key: key}) as s:
            s.set("list", str([key, "x"]))
            s.fail("boom", f"because {key}")
            raise RuntimeError(f"the partner said {key}")

    with pytest.raises(RuntimeError, match="the partner said"):
        call()
    assert parent
    exported = everything(recorded)
    assert key not in exported
    assert "[REDACTED]" in exported
    assert "the partner said [REDACTED]" in exported  # the message is kept, scrubbed


def test_a_token_and_a_url_query_are_removed(recorded: Recorded) -> None:
    token = jwt_like(random.Random(28))
    with tracing.span("call") as s:
        s.set("url.full", "https://partner.example/v1/analyze?code=abc&state=xyz")
        s.set("note", f"Bearer {token}")
    attributes = dict(recorded.named("call").attributes or {})
    assert attributes["url.full"] == "https://partner.example/v1/analyze?[query removed]"
    assert attributes["note"] == "Bearer [REDACTED:jwt]"


def test_sequences_are_scrubbed_item_by_item(recorded: Recorded, key: str) -> None:
    with tracing.span("call") as s:
        s.set("values", (key, "plain"))  # type: ignore[arg-type]
    assert (recorded.named("call").attributes or {})["values"] == ("[REDACTED]", "plain")


def test_a_link_to_a_context_keeps_its_ids() -> None:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import Link, SpanContext

    context = SpanContext(trace_id=7, span_id=9, is_remote=True)
    span = ReadableSpan(name="s", context=context, links=[Link(context, {"a": "b?c"})])
    copy = tracing.scrubbed(span)
    assert copy.links[0].context == context
    assert copy.context == context


def _span(**overrides: object) -> Any:
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.trace import Link, SpanContext, Status, StatusCode

    context = SpanContext(trace_id=7, span_id=9, is_remote=False)
    fields: dict[str, Any] = {
        "name": "partner POST",
        "context": context,
        "attributes": {"url.path": "/v1/analyze", "app.partner.attempts": 1},
        "events": [],
        "links": [],
        "status": Status(StatusCode.ERROR, "partner answered 503"),
    }
    fields.update(overrides)
    fields["events"] = [Event(n, a) for n, a in fields["events"]]
    fields["links"] = [Link(context, a) for a in fields["links"]]
    return ReadableSpan(**fields)


def test_a_span_with_nothing_to_redact_reaches_the_exporter_as_itself() -> None:
    span = _span()
    assert tracing.scrubbed(span) is span


def _placed(key: str) -> dict[str, Any]:
    from opentelemetry.trace import Status, StatusCode

    return {
        "name": {"name": f"partner POST {key}"},
        "attribute key": {"attributes": {key: "x"}},
        "attribute value": {"attributes": {"note": key}},
        "bytes value": {"attributes": {"note": key.encode()}},
        "sequence item": {"attributes": {"values": ("plain", key)}},
        "status": {"status": Status(StatusCode.ERROR, f"refused {key}")},
        "event": {"events": [("exception", {"exception.message": f"said {key}"})]},
        "link": {"links": [{"note": key}]},
    }


@pytest.mark.parametrize("place", list(_placed("k")))
def test_a_value_in_any_one_place_makes_a_scrubbed_copy(key: str, place: str) -> None:
    span = _span(**_placed(key)[place])
    copy = tracing.scrubbed(span)
    assert copy is not span
    exported = [copy.name, repr(dict(copy.attributes or {})), str(copy.status.description)]
    exported += [e.name + repr(dict(e.attributes or {})) for e in copy.events]
    exported += [repr(dict(link.attributes or {})) for link in copy.links]
    assert key not in "\n".join(exported)
    assert "[REDACTED]" in "\n".join(exported)


def test_the_resource_hashes_and_compares_as_the_sdk_resource_does() -> None:
    from opentelemetry.sdk.resources import Resource

    from shared.tracing._scrub import SteadyResource, scrub_resource

    attributes = {"service.name": "secretless-functions", "cloud.region": "swedencentral"}
    steady, plain = (
        scrub_resource(Resource(attributes, "https://x/schema")),
        Resource(attributes, "https://x/schema"),
    )
    assert isinstance(steady, SteadyResource)
    assert steady == plain
    assert hash(steady) == hash(plain)
    assert len({steady: 1, plain: 2}) == 1  # the encoder groups spans of either together
