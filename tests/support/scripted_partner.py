"""The partner API scripted on a loopback HTTP server, and a key provider that rotates.

:class:`Partner` answers from its script in order, then its default, and records every hit;
with ``accepted`` set it refuses any other key with 401, as a real partner does.
:class:`Keys` hands out the current key and moves to the next on a forced fetch (rotation).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.redaction import Secret

#: Outbound client options that keep retries quick in tests.
FAST: dict[str, Any] = {"backoff_factor": 0.01, "read_timeout": 2.0}


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Partner:
    """The third-party API: answers from ``script`` in order, then ``default``.

    When ``accepted`` is set it answers 401 to any other key, like a real partner.
    """

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default = Reply()
        self.accepted: set[str] | None = None
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with partner.lock:
                    partner.hits.append(Hit(self.command, self.path, dict(self.headers), body))
                    reply = partner.script.pop(0) if partner.script else partner.default
                    if partner.accepted is not None and (
                        self.headers.get("X-Api-Key") not in partner.accepted
                    ):
                        reply = Reply(401, {"error": "bad key"})
                time.sleep(reply.delay)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
                data = data.encode() if isinstance(data, str) else data
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (read timeout): nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def then(self, *replies: Reply) -> Partner:
        self.script.extend(replies)
        return self


@contextmanager
def serving() -> Iterator[Partner]:
    """A scripted partner answering on a loopback port for the length of the block."""
    partner = Partner()
    partner.thread.start()
    try:
        yield partner
    finally:
        partner.server.shutdown()
        partner.server.server_close()


class Keys:
    """A key provider: the current key, and the next one after a forced fetch (rotation)."""

    def __init__(self, count: int = 2) -> None:
        self.values = [secrets.token_urlsafe(32) for _ in range(count)]
        self.index = 0
        self.calls: list[bool] = []

    @property
    def current(self) -> str:
        return self.values[self.index]

    def __call__(self, *, force_fetch: bool = False) -> Secret:
        self.calls.append(force_fetch)
        if force_fetch and self.index + 1 < len(self.values):
            self.index += 1
        return Secret(self.current, name="partner-api-key")
