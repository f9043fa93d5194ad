"""The devstack's control plane over real HTTP: faults, counters and Azurite in one place."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.control import create_control_app
from devstack.faults import FaultGate
from tests.support.servers import BaseUrlSession, Switch, switched


class Counted:
    def __init__(self) -> None:
        self.calls = 3

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls}

    def reset_stats(self) -> None:
        self.calls = 0


class FakeAzurite:
    def __init__(self, *, fails_to_start: bool = False) -> None:
        self.running = True
        self.fails_to_start = fails_to_start

    async def stop(self) -> None:
        self.running = False

    async def start(self) -> None:
        if self.fails_to_start:
            raise RuntimeError("node is not on PATH: Azurite needs Node.js 20")
        self.running = True


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Switch, str]]:
    with switched(log_level="critical") as served:
        yield served


@pytest.fixture
def gate() -> FaultGate:
    return FaultGate()


@pytest.fixture
def azurite() -> FakeAzurite:
    return FakeAzurite()


@pytest.fixture
def control(
    served: tuple[Switch, str], gate: FaultGate, azurite: FakeAzurite
) -> Iterator[BaseUrlSession]:
    served[0].app = create_control_app(
        faults={"vault": gate}, counters={"vault": Counted()}, azurite=azurite
    )
    with BaseUrlSession(served[1]) as session:
        yield session


def test_the_index_links_every_control(control: BaseUrlSession) -> None:
    links = control.get("/devstack").json()
    assert links == {
        "faults": {"vault": f"{control.base}/devstack/faults/vault"},
        "stats": {"vault": f"{control.base}/devstack/stats/vault"},
        "azurite": f"{control.base}/devstack/azurite",
    }


def test_a_plan_is_set_shown_applied_and_cleared(control: BaseUrlSession, gate: FaultGate) -> None:
    assert control.get("/devstack/faults/vault").json() == {"fault": None}
    set_plan = control.put("/devstack/faults/vault", json={"mode": "status", "count": 1})
    assert set_plan.status_code == 200
    assert set_plan.json()["fault"]["mode"] == "status"
    strike = gate.strike()
    assert strike is not None
    assert strike.mode == "status"
    assert control.get("/devstack/faults/vault").json() == {"fault": None}  # count spent
    control.put("/devstack/faults/vault", json={"mode": "reset"})
    assert control.delete("/devstack/faults/vault").status_code == 204
    assert gate.plan is None


@pytest.mark.parametrize("body", [{"mode": "explode"}, {"mode": "status", "extra": 1}, []])
def test_an_invalid_plan_is_400_saying_why(control: BaseUrlSession, body: Any) -> None:
    refused = control.put("/devstack/faults/vault", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_fault"
    assert refused.json()["detail"]


def test_counters_are_read_and_reset(control: BaseUrlSession) -> None:
    assert control.get("/devstack/stats/vault").json() == {"calls": 3}
    assert control.delete("/devstack/stats/vault").status_code == 204
    assert control.get("/devstack/stats/vault").json() == {"calls": 0}


@pytest.mark.parametrize("path", ["/devstack/faults/partner", "/devstack/stats/azurite"])
def test_an_unknown_piece_is_404_naming_the_known_ones(control: BaseUrlSession, path: str) -> None:
    refused = control.get(path)
    assert refused.status_code == 404
    assert refused.json()["error"] == "unknown_piece"
    assert "['vault']" in refused.json()["detail"]


def test_azurite_is_stopped_and_started_again(control: BaseUrlSession) -> None:
    assert control.get("/devstack/azurite").json() == {"running": True}
    assert control.post("/devstack/azurite/stop").json() == {"running": False}
    assert control.get("/devstack/azurite").json() == {"running": False}
    assert control.post("/devstack/azurite/start").json() == {"running": True}


def test_a_failed_start_says_why(served: tuple[Switch, str]) -> None:
    served[0].app = create_control_app(
        faults={}, counters={}, azurite=FakeAzurite(fails_to_start=True)
    )
    with BaseUrlSession(served[1]) as control:
        control.post("/devstack/azurite/stop")
        refused = control.post("/devstack/azurite/start")
    assert refused.status_code == 500
    assert "Node.js" in refused.json()["error"]


def test_without_azurite_its_routes_are_404(served: tuple[Switch, str]) -> None:
    served[0].app = create_control_app(faults={}, counters={})
    with BaseUrlSession(served[1]) as control:
        assert control.get("/devstack/azurite").status_code == 404
        assert "azurite" not in control.get("/devstack").json()


def _export_request(count: int) -> bytes:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for n in range(count):
        with provider.get_tracer("t").start_as_current_span(f"s{n}"):
            pass
    return bytes(encode_spans(memory.get_finished_spans()).SerializeToString())


def test_spans_are_received_and_bad_ones_refused(
    served: tuple[Switch, str], tmp_path: Path
) -> None:
    from devstack.traces import otlp
    from devstack.traces.store import SpanStore

    store = SpanStore(tmp_path / "spans.jsonl")
    served[0].app = create_control_app(faults={}, counters={}, traces=store)
    url = "/devstack/otlp/v1/traces"
    with BaseUrlSession(served[1]) as control:
        kept = control.post(url, data=_export_request(1), headers={"Content-Type": otlp.PROTOBUF})
        damaged = control.post(url, data=b"\xff\xff", headers={"Content-Type": otlp.PROTOBUF})
        json_body = control.post(url, data=b"{}", headers={"Content-Type": "application/json"})
    assert kept.status_code == 200
    assert [span["name"] for span in store.spans()] == ["s0"]
    assert (damaged.status_code, damaged.json()["error"]) == (400, "invalid_otlp")
    assert json_body.status_code == 415


def test_a_batch_of_spans_lets_the_other_services_run_while_it_is_kept(tmp_path: Path) -> None:
    """Every service of the stack shares one event loop: the receiver hands it back every
    few spans. Another task counts its turns while a batch of 320 spans is received."""
    from starlette.requests import Request

    from devstack.control import trace_routes
    from devstack.traces import otlp
    from devstack.traces.store import SpanStore

    store = SpanStore(tmp_path / "spans.jsonl")
    receive = next(r for r in trace_routes(store) if r.path.endswith("/v1/traces")).endpoint
    body = _export_request(320)

    async def scenario() -> tuple[int, int]:
        turns = 0
        done = asyncio.Event()

        async def other_service() -> None:
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        async def request_body() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/devstack/otlp/v1/traces",
            "headers": [(b"content-type", otlp.PROTOBUF.encode())],
        }
        other = asyncio.create_task(other_service())
        await asyncio.sleep(0)
        before = turns
        answer = await receive(Request(scope, request_body))
        done.set()
        await other
        assert answer.status_code == 200
        return before, turns

    before, after = asyncio.run(scenario())
    assert after - before >= 320 // otlp.SPANS_PER_TURN
    assert len(store.spans()) == 320
