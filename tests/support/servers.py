"""Serving an ASGI app on a free loopback port from a test, under a real uvicorn."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
import uvicorn


class Switch:
    """An ASGI app that forwards to whichever app the test set (one server per module)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        return await self.app(scope, receive, send)


@contextlib.contextmanager
def serve(
    app: Any, *, certfile: Path | None = None, log_level: str = "warning"
) -> Iterator[tuple[str, int]]:
    """Run ``app`` on 127.0.0.1 (HTTPS with ``certfile``); yield (scheme://host:port, port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        ssl_certfile=str(certfile) if certfile else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    if not server.started:
        raise RuntimeError("the test server did not start")
    scheme = "https" if certfile else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        server.force_exit = True  # every request is done; idle keep-alives need no grace
        thread.join(timeout=10)


class BaseUrlSession(requests.Session):
    """A session on one base address; ``origin`` in absolute URLs is mapped onto it."""

    def __init__(self, base: str, *, origin: str = "") -> None:
        super().__init__()
        self.base = base
        self.origin = origin

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 10)
        path = str(url).removeprefix(self.origin) if self.origin else str(url)
        return super().request(method, self.base + path, *args, **kwargs)


@contextlib.contextmanager
def switched(*, log_level: str = "warning") -> Iterator[tuple[Switch, str]]:
    """One plain-HTTP server per test module, serving whichever app each test sets."""
    switch = Switch()
    with serve(switch, log_level=log_level) as (base, _):
        yield switch, base
