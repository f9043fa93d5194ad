"""The devstack's control plane over real HTTP: faults, counters and Azurite in one place."""

from __future__ import annotations

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
    from devstack.traces.received import Received
    from devstack.traces.store import SpanStore

    store, received = SpanStore(tmp_path / "spans.otlp"), Received()
    served[0].app = create_control_app(
        faults={}, counters={"traces": received}, traces=store, received=received
    )
    url = "/devstack/otlp/v1/traces"
    request = _export_request(1)
    with BaseUrlSession(served[1]) as control:
        kept = control.post(url, data=request, headers={"Content-Type": otlp.PROTOBUF})
        damaged = control.post(url, data=b"\xff\xff", headers={"Content-Type": otlp.PROTOBUF})
        json_body = control.post(url, data=b"{}", headers={"Content-Type": "application/json"})
        counted = control.get("/devstack/stats/traces").json()
        control.delete("/devstack/stats/traces")
        reset = control.get("/devstack/stats/traces").json()
    assert kept.status_code == 200
    assert [span["name"] for span in store.spans()] == ["s0"]
    assert (damaged.status_code, damaged.json()["error"]) == (400, "invalid_otlp")
    assert json_body.status_code == 415
    assert (counted["requests"], counted["refused"], counted["bytes"]) == (1, 2, len(request))
    assert counted["cpu_seconds"] > 0  # the receiver's thread spent some checking them
    assert reset == {"requests": 0, "refused": 0, "bytes": 0, "cpu_seconds": 0.0}


def test_a_request_is_kept_as_it_came_and_its_spans_decoded_only_when_read(
    served: tuple[Switch, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every service of the stack shares one event loop: receiving a batch does no work per
    span. The receiver keeps the request's bytes (inflated, when gzip'd) and answers; the
    spans are decoded when read."""
    import gzip

    from devstack.traces import otlp
    from devstack.traces.store import LENGTH, SpanStore

    def decoding(request: object) -> None:
        raise AssertionError("a span was decoded on receipt")

    monkeypatch.setattr(otlp, "spans_of", decoding)
    store = SpanStore(tmp_path / "spans.otlp")
    served[0].app = create_control_app(faults={}, counters={}, traces=store)
    url = "/devstack/otlp/v1/traces"
    many, few = _export_request(320), _export_request(2)
    with BaseUrlSession(served[1]) as control:
        plain = control.post(url, data=many, headers={"Content-Type": otlp.PROTOBUF})
        zipped = control.post(
            url,
            data=gzip.compress(few),
            headers={"Content-Type": otlp.PROTOBUF, "Content-Encoding": "gzip"},
        )
    assert (plain.status_code, zipped.status_code) == (200, 200)
    assert plain.content == zipped.content == otlp.response_body()
    assert store.path.read_bytes() == LENGTH.pack(len(many)) + many + LENGTH.pack(len(few)) + few
    monkeypatch.undo()
    assert [span["name"] for span in store.spans()] == [
        *(f"s{n}" for n in range(320)),
        "s0",
        "s1",
    ]
