"""shared.federation._provider, traced: each token exchange waited for is an ``entra get
token`` span, a token held fresh is said on the caller's span, and a refusal names its class
and AADSTS code, never the token, the assertion or Entra's description.

The real chain (azure-identity against the identity endpoint and the local tenant, as
test_credential.py runs it) and the real OpenTelemetry SDK; the spans are read as the app
made them, before the exporter's scrubbing, so that what is held is what the app chose to
say. Entra's refusal body is the one Microsoft documents
(https://learn.microsoft.com/entra/identity-platform/reference-error-codes): an
``error_description`` of the code, a reason naming the assertion's parts, and trace ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import jwt
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.federation import TokenExchangeRefusedError, token_provider
from shared.tracing import span, using
from tests.support.federation_chain import OUTCOME_WAIT, Chain

OTHER_SUBJECT = "12121212-1212-4212-8212-121212121212"


@contextmanager
def unscrubbed() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, with no scrubbing on the way."""
    from shared.tracing._otel import OtelBackend

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        with using(OtelBackend(provider)):
            yield exporter
    finally:
        provider.shutdown()


def attributes(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


@pytest.mark.slow
def test_a_miss_a_hit_a_forced_refresh_and_a_refusal(fresh: Chain) -> None:
    tokens = token_provider(fresh.partner, wait=OUTCOME_WAIT)
    with unscrubbed() as exporter:
        first = tokens.get()
        with span("partner POST", kind="client"):
            tokens.get()  # held fresh: no call, said on the span of the call that asked
        second = tokens.get(force_fetch=True)
        directory = fresh.tenant.state.directory
        client = fresh.partner.app_client_id
        (current,) = directory.registration(client).federated
        directory.set_federated(client, replace(current, subject=OTHER_SUBJECT))
        refused = token_provider(fresh.partner, wait=OUTCOME_WAIT)
        with pytest.raises(TokenExchangeRefusedError) as failure:
            refused.get()
        spans = list(exporter.get_finished_spans())
    tokens.close()
    refused.close()

    assert [s.name for s in spans] == ["entra get token", "partner POST"] + ["entra get token"] * 2
    assert attributes(spans[1]) == {"app.token.cache": "hit"}
    spans.pop(1)
    assert [attributes(s)["app.token.cache"] for s in spans] == ["miss", "miss", "miss"]
    assert [attributes(s).get("app.token.forced") for s in spans] == [None, True, None]
    endpoint = fresh.partner.authority_host.split("://", 1)[1]
    assert all(attributes(s)["server.address"] == endpoint for s in spans)
    assert [s.status.status_code.name for s in spans] == ["UNSET"] * 2 + ["ERROR"]
    assert attributes(spans[2])["error.type"] == "TokenExchangeRefusedError"
    assert failure.value.aadsts == "AADSTS700213"
    assert "AADSTS700213" in (spans[2].status.description or "")

    exported = json.dumps([json.loads(s.to_json()) for s in spans])
    issued = fresh.tenant.state.directory.issued_tokens()
    assertions = fresh.identity.state.stats.assertions()
    assert {first.reveal(), second.reveal()} <= set(issued)
    assert assertions, "the identity endpoint issued no assertion"
    for value in [*issued, *assertions]:
        assert value not in exported
    # Entra's description: its reason, the presented subject it names, its trace ids.
    subject = jwt.decode(assertions[-1], options={"verify_signature": False})["sub"]
    for fragment in ("No matching federated identity record", subject, "Trace ID"):
        assert fragment not in exported
