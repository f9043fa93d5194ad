"""The devstack's control plane: one place to break, count and restart the stack's pieces.

Outage rehearsals and the counters that tests and benchmarks read are all here, in one
place apart from the emulated services, on a port of its own (plain HTTP on loopback: no
token travels to it), named ``control`` in ``.devstack/endpoints.json``:

``GET  /devstack``                      links to everything below
``GET|PUT|DELETE /devstack/faults/<piece>``  the fault plan of ``vault`` or ``partner``
                                        (:mod:`devstack.faults`: ``PUT`` a plan, ``GET``
                                        shows it, ``DELETE`` clears it)
``GET|DELETE /devstack/stats/<piece>``  the counters of ``identity``, ``vault``,
                                        ``partner``, ``storage`` (Azurite's transactions,
                                        :mod:`devstack.storagestats`) or ``traces`` (what
                                        the OTLP receiver took and its CPU,
                                        :mod:`devstack.traces.received`); ``DELETE`` resets
                                        them
``GET  /devstack/azurite``, ``POST .../stop``, ``POST .../start``  stop Azurite gracefully
                                        and start it again on the same ports
``GET  /devstack/host``, ``POST .../kill``, ``POST .../start``  ``SIGKILL`` the function host
                                        (an instance lost mid-work) and start it again
``POST /devstack/otlp/v1/traces``       the app's spans, OTLP/HTTP protobuf
                                        (:mod:`devstack.traces.otlp`), kept under the state
                                        directory (:mod:`devstack.traces.store`)
``GET  /devstack/traces/<job id>``      that job's trace as a waterfall page;
                                        ``.../spans`` the same spans as JSON

Answers are JSON; an unknown piece is a 404 naming the pieces there are.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.asgi import Counters
from devstack.faults import FaultGate, FaultPlan
from devstack.traces.received import Received
from devstack.traces.store import SpanStore

PREFIX = "/devstack"

logger = logging.getLogger("devstack.control")


class AzuriteSwitch(Protocol):
    """Azurite as the stack runs it: stopped and started on request."""

    @property
    def running(self) -> bool: ...

    async def stop(self) -> None: ...

    async def start(self) -> None:
        """Start again on the same ports; raise ``RuntimeError`` saying why it cannot."""


class HostSwitch(Protocol):
    """The function host as the stack runs it: killed and started again on request."""

    @property
    def running(self) -> bool: ...

    async def kill(self) -> None: ...

    async def start(self) -> None:
        """Start again and wait until it answers; raise ``StackError`` saying why it cannot."""


def create_control_app(
    *,
    faults: Mapping[str, FaultGate],
    counters: Mapping[str, Counters],
    azurite: AzuriteSwitch | None = None,
    host: Callable[[], HostSwitch | None] = lambda: None,
    traces: SpanStore | None = None,
    received: Received | None = None,
) -> Starlette:
    """The control plane over the given pieces (a test may give it one emulator alone)."""

    def unknown(kind: str, piece: str, known: Mapping[str, object]) -> Response:
        message = f"no {kind} for {piece!r}; pieces: {sorted(known)}"
        return JSONResponse({"error": "unknown_piece", "detail": message}, status_code=404)

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/") + PREFIX
        links: dict[str, object] = {
            "faults": {piece: f"{base}/faults/{piece}" for piece in faults},
            "stats": {piece: f"{base}/stats/{piece}" for piece in counters},
        }
        if azurite is not None:
            links["azurite"] = f"{base}/azurite"
        if host() is not None:
            links["host"] = f"{base}/host"
        if traces is not None:
            links["traces"] = f"{base}/traces/{{job id}}"
        return JSONResponse(links)

    async def fault_plan(request: Request) -> Response:
        piece = request.path_params["piece"]
        gate = faults.get(piece)
        if gate is None:
            return unknown("fault plan", piece, faults)
        if request.method == "DELETE":
            gate.set_plan(None)
            logger.info("%s: faults cleared", piece)
            return Response(status_code=204)
        if request.method == "PUT":
            try:
                gate.set_plan(FaultPlan.parse(json.loads(await request.body())))
            except ValueError as exc:
                return JSONResponse({"error": "invalid_fault", "detail": str(exc)}, 400)
            logger.warning("%s: fault plan set (outage rehearsal)", piece)
        plan = gate.plan
        return JSONResponse({"fault": asdict(plan) if plan else None})

    async def stats(request: Request) -> Response:
        piece = request.path_params["piece"]
        counted = counters.get(piece)
        if counted is None:
            return unknown("counters", piece, counters)
        if request.method == "DELETE":
            counted.reset_stats()
            return Response(status_code=204)
        return JSONResponse(dict(counted.stats()))

    async def azurite_status(_: Request) -> Response:
        if azurite is None:
            return JSONResponse({"error": "no_azurite"}, status_code=404)
        return JSONResponse({"running": azurite.running})

    async def azurite_stop(_: Request) -> Response:
        if azurite is None:
            return JSONResponse({"error": "no_azurite"}, status_code=404)
        await azurite.stop()
        return JSONResponse({"running": azurite.running})

    async def azurite_start(_: Request) -> Response:
        if azurite is None:
            return JSONResponse({"error": "no_azurite"}, status_code=404)
        try:
            await azurite.start()
        except RuntimeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=500)
        return JSONResponse({"running": azurite.running})

    async def host_status(_: Request) -> Response:
        switch = host()
        if switch is None:
            return JSONResponse({"error": "no_host"}, status_code=404)
        return JSONResponse({"running": switch.running})

    async def host_kill(_: Request) -> Response:
        switch = host()
        if switch is None:
            return JSONResponse({"error": "no_host"}, status_code=404)
        await switch.kill()
        return JSONResponse({"running": switch.running})

    async def host_start(_: Request) -> Response:
        switch = host()
        if switch is None:
            return JSONResponse({"error": "no_host"}, status_code=404)
        try:
            await switch.start()
        except RuntimeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=500)
        return JSONResponse({"running": switch.running})

    routes = trace_routes(traces, received) if traces is not None else []
    return Starlette(
        routes=[
            *routes,
            Route(PREFIX, index, methods=["GET"]),
            Route(f"{PREFIX}/faults/{{piece}}", fault_plan, methods=["GET", "PUT", "DELETE"]),
            Route(f"{PREFIX}/stats/{{piece}}", stats, methods=["GET", "DELETE"]),
            Route(f"{PREFIX}/azurite", azurite_status, methods=["GET"]),
            Route(f"{PREFIX}/azurite/stop", azurite_stop, methods=["POST"]),
            Route(f"{PREFIX}/azurite/start", azurite_start, methods=["POST"]),
            Route(f"{PREFIX}/host", host_status, methods=["GET"]),
            Route(f"{PREFIX}/host/kill", host_kill, methods=["POST"]),
            Route(f"{PREFIX}/host/start", host_start, methods=["POST"]),
        ]
    )


def trace_routes(store: SpanStore, received: Received | None = None) -> list[Route]:
    """The OTLP receiver and the trace views over ``store``; ``received`` counts what the
    receiver took and the CPU it spent."""
    import uuid

    from starlette.responses import HTMLResponse

    from devstack.traces.otlp import PROTOBUF, OtlpError, checked_body, response_body
    from devstack.traces.page import render_page

    async def receive(request: Request) -> Response:
        raw = await request.body()
        started = time.thread_time()
        try:
            body = checked_body(
                raw,
                content_type=request.headers.get("content-type", ""),
                encoding=request.headers.get("content-encoding", ""),
            )
        except OtlpError as exc:
            if received is not None:
                received.refused(time.thread_time() - started)
            return JSONResponse({"error": "invalid_otlp", "detail": str(exc)}, exc.status)
        # Every service of the stack (the Storage front, vault, identity, partner) shares
        # this event loop: the request is kept as it came, and its spans are decoded only
        # when a trace is read.
        store.append_request(body)
        if received is not None:
            received.kept(len(body), time.thread_time() - started)
        return Response(response_body(), media_type=PROTOBUF)

    def job_id(request: Request) -> str | None:
        try:
            return str(uuid.UUID(request.path_params["job_id"]))
        except ValueError:
            return None

    async def page(request: Request) -> Response:
        found = job_id(request)
        if found is None:
            return JSONResponse({"error": "invalid_job_id", "detail": "not a job id"}, 404)
        spans = store.job_trace(found)
        return HTMLResponse(render_page(found, spans), status_code=200 if spans else 404)

    async def spans(request: Request) -> Response:
        found = job_id(request)
        if found is None:
            return JSONResponse({"error": "invalid_job_id", "detail": "not a job id"}, 404)
        return JSONResponse({"job_id": found, "spans": store.job_trace(found)})

    return [
        Route(f"{PREFIX}/otlp/v1/traces", receive, methods=["POST"]),
        Route(f"{PREFIX}/traces/{{job_id}}", page, methods=["GET"]),
        Route(f"{PREFIX}/traces/{{job_id}}/spans", spans, methods=["GET"]),
    ]
