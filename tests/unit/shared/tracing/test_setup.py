"""shared.tracing._setup: tracing starts from the settings, or not at all; what it exports.

The OTLP path end to end in this process: the SDK's exporter posts to the devstack's
receiver (its control-plane routes on a loopback server) and the spans land in a store,
scrubbed. The Azure path in a child process (the distro sets process-wide logging): the
distro's exporter posts to a TLS stub standing in for the ingestion endpoint, and the
request carries the app credential's bearer token for Azure Monitor's scope, never the
instrumentation key alone (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication?tabs=python).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.control import trace_routes
from devstack.runner import ROOT
from devstack.traces.store import SpanStore
from shared import tracing
from shared.redaction import Secret
from shared.settings import SettingsError
from tests.support.servers import serve


@pytest.fixture(autouse=True)
def off_afterwards() -> Iterator[None]:
    yield
    tracing.stop_tracing()


@pytest.mark.parametrize(
    "env",
    [
        {},  # nowhere to send spans
        {"TRACING_SAMPLE_RATIO": "0", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9/x"},
    ],
)
def test_tracing_stays_off(env: dict[str, str]) -> None:
    assert tracing.start_tracing(env) is False
    assert not tracing.is_enabled()


@pytest.mark.parametrize("ratio", ["1.5", "-0.1", "half"])
def test_a_ratio_outside_0_to_1_is_a_settings_error(ratio: str) -> None:
    with pytest.raises(SettingsError, match="TRACING_SAMPLE_RATIO"):
        tracing.start_tracing({"TRACING_SAMPLE_RATIO": ratio})


def test_an_otlp_endpoint_without_its_exporter_names_the_setting_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The exporter is a development dependency; an app deployed with the local setting
    left in fails at start-up with one line that says what to do, not an ImportError."""
    monkeypatch.setitem(sys.modules, "shared.tracing._otlp", None)  # as if the import failed
    env = {"TRACING_SAMPLE_RATIO": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9/x"}
    with pytest.raises(SettingsError) as refused:
        tracing.start_tracing(env)
    assert "OTEL_EXPORTER_OTLP_ENDPOINT: set, but" in str(refused.value)
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in str(refused.value)
    assert not tracing.is_enabled()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, SpanStore]]:
    store = SpanStore(tmp_path / "traces" / "spans.otlp")
    with serve(Starlette(routes=trace_routes(store))) as (base, _):
        yield f"{base}/devstack/otlp", store


def test_spans_reach_the_local_stack_scrubbed(receiver: tuple[str, SpanStore]) -> None:
    endpoint, store = receiver
    key = "pk-" + uuid.uuid4().hex
    Secret(key, name="partner-api-key")
    assert tracing.start_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}) is True
    job_id = str(uuid.uuid4())
    with tracing.span("POST /api/jobs", kind="server", attributes={"app.job.id": job_id}) as s:
        s.set("leak", f"key={key}")
        with tracing.span("send jobs", kind="producer"):
            pass
    tracing.stop_tracing()  # flushes the batch
    spans = store.job_trace(job_id)
    assert [s["name"] for s in spans] == ["POST /api/jobs", "send jobs"]
    assert spans[1]["parent_id"] == spans[0]["span_id"]
    assert spans[0]["attributes"]["leak"] == "key=[REDACTED]"
    assert spans[0]["service"] == "secretless-functions"
    assert key.encode() not in store.path.read_bytes()


def test_flushing_exports_what_ended_and_tracing_goes_on(receiver: tuple[str, SpanStore]) -> None:
    endpoint, store = receiver
    assert tracing.flush_tracing() is True  # tracing off: nothing to send
    assert tracing.start_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}) is True
    job_id = str(uuid.uuid4())
    with tracing.span("POST /api/jobs", kind="server", attributes={"app.job.id": job_id}):
        pass
    assert tracing.flush_tracing() is True  # returns once the batch has gone (within 500 ms)
    assert [s["name"] for s in store.job_trace(job_id)] == ["POST /api/jobs"]
    assert tracing.is_enabled()
    tracing.stop_tracing()


def test_sampling_keeps_a_trace_whole_or_drops_it(receiver: tuple[str, SpanStore]) -> None:
    endpoint, store = receiver
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "TRACING_SAMPLE_RATIO": "0.5"}
    assert tracing.start_tracing(env)
    rng = random.Random(28)
    traces = [f"{rng.getrandbits(128):032x}" for _ in range(40)]
    for trace_id in traces:  # the submit, the worker, a resend: three processes, one decision
        for _ in range(3):
            with (
                tracing.span("step", parent=f"00-{trace_id}-{rng.getrandbits(64):016x}-01"),
                tracing.span("inside"),  # the step's answer, not the sampler's again
            ):
                pass
    tracing.stop_tracing()
    kept = [span["trace_id"] for span in store.spans()]
    bound = round(0.5 * 2**64)  # TraceIdRatioBased: the trace id's low 64 bits below it
    expected = [t for t in traces if int(t[16:], 16) < bound]
    assert 0 < len(expected) < len(traces)
    assert sorted(set(kept)) == sorted(expected)
    assert all(kept.count(t) == 6 for t in expected)


_CHILD = """
import sys
from shared import identity, tracing
from shared.redaction import Secret

class Credential:
    scopes = []
    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        Credential.scopes.extend(scopes)
        return AccessToken(sys.argv[1], 4102444800)
    def get_token_info(self, *scopes, options=None):
        from azure.core.credentials import AccessTokenInfo
        Credential.scopes.extend(scopes)
        return AccessTokenInfo(sys.argv[1], 4102444800)

identity.get_credential = lambda: Credential()
Secret(sys.argv[2], name="partner-api-key")
assert tracing.start_tracing()
with tracing.span("partner POST", kind="client") as s:
    s.set("leak", sys.argv[2])
tracing.stop_tracing()
print(sorted(set(Credential.scopes)))
"""


@pytest.mark.slow
def test_application_insights_gets_spans_over_entra(tmp_path: Path) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(tmp_path / "srv.pem")
    )
    received: list[dict[str, Any]] = []

    async def track(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        received.append({"headers": dict(request.headers), "body": body.decode()})
        return JSONResponse({"itemsReceived": 1, "itemsAccepted": 1, "errors": []})

    stub = Starlette(routes=[Route("/v2.1/track", track, methods=["POST"])])
    token, key = f"token-{uuid.uuid4().hex}", "pk-" + uuid.uuid4().hex
    with serve(stub, certfile=tmp_path / "srv.pem") as (base, _):
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OTEL_"))},
            "APPLICATIONINSIGHTS_CONNECTION_STRING": (
                f"InstrumentationKey={uuid.uuid4()};IngestionEndpoint={base}"
            ),
            "REQUESTS_CA_BUNDLE": str(tmp_path / "ca.pem"),
            "SSL_CERT_FILE": str(tmp_path / "ca.pem"),
            "PYTHONPATH": str(ROOT),
            # The exporter keeps telemetry it could not send under the temporary directory
            # (its offline storage, one folder per instrumentation key): the test's own.
            "TMPDIR": str(tmp_path),
        }
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, token, key],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert child.returncode == 0, child.stderr[-3000:]
    assert json.loads(child.stdout.strip().splitlines()[-1].replace("'", '"')) == [
        "https://monitor.azure.com//.default"
    ]
    spans = [r for r in received if '"RemoteDependencyData"' in r["body"]]
    assert spans, ([r["body"][:200] for r in received], child.stderr[-3000:])
    assert all(r["headers"].get("authorization") == f"Bearer {token}" for r in received)
    assert all(key not in r["body"] for r in received)
    assert "partner POST" in spans[0]["body"]
