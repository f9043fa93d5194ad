"""The uvicorn servers that run inside the stack's own process (identity, vault, partner,
control plane): started on a port, watched, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from devstack.certs import DevCertificates
from devstack.errors import StackError
from devstack.ports import LOOPBACK


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the stack (one Ctrl-C stops all)."""

    task: asyncio.Task[None] | None = None  # the serve() task, watched by the stack

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: Starlette, port: int, certs: DevCertificates | None) -> EmbeddedServer:
    """Listen on loopback ``port`` (HTTPS with the dev certificate when ``certs``)."""
    config = uvicorn.Config(
        app,
        host=LOOPBACK,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=str(certs.server_cert) if certs else None,
        ssl_keyfile=str(certs.server_key) if certs else None,
    )
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 15
    while not server.started:
        if task.done():
            raise StackError(f"a local service could not listen on port {port}")
        if time.monotonic() > deadline:
            raise StackError(f"a local service on port {port} did not start")
        await asyncio.sleep(0.05)
    server.task = task
    return server


async def stop_all(servers: list[EmbeddedServer]) -> None:
    for server in servers:
        # Clients keep idle keep-alive connections open; do not wait for them.
        server.should_exit = True
        server.force_exit = True
    for server in servers:
        if server.task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.task, timeout=5)
