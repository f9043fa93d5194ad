"""A minimal Debug Adapter Protocol client: what an editor does when it attaches.

Messages are JSON with a ``Content-Length`` header (microsoft.github.io/debug-adapter-
protocol/overview, "Base protocol"); requests carry a ``seq`` that their response names in
``request_seq``; events arrive in between. One reader thread files them all.
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any


class DapClient:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._seq = 0
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self._sock.makefile("rb")
        with contextlib.suppress(OSError, ValueError):
            while True:
                length = 0
                while (line := stream.readline().strip()) != b"":
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if not length:
                    return
                self._messages.put(json.loads(stream.read(length)))

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        self._seq += 1
        body = json.dumps(
            {"seq": self._seq, "type": "request", "command": command, "arguments": arguments or {}}
        ).encode()
        self._sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self._seq

    def _next(self, match: Any, timeout: float) -> dict[str, Any]:
        for message in self._seen:
            if match(message):
                self._seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message; kept: {self._seen!r}")
            try:
                message = self._messages.get(timeout=left)
            except queue.Empty:
                continue
            if match(message):
                return message
            self._seen.append(message)

    def response(self, seq: int, timeout: float = 30) -> dict[str, Any]:
        message = self._next(
            lambda m: m.get("type") == "response" and m.get("request_seq") == seq, timeout
        )
        if not message.get("success"):
            raise AssertionError(f"{message.get('command')} failed: {message.get('message')}")
        return message

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.response(self.send(command, arguments))

    def event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        return self._next(lambda m: m.get("type") == "event" and m.get("event") == name, timeout)


@contextlib.contextmanager
def attached(port: int, timeout: float = 30) -> Iterator[DapClient]:
    """Connect to a debugpy listening on ``port`` (retrying while it starts) and attach."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    sock.settimeout(None)
    client = DapClient(sock)
    try:
        client.request("initialize", {"adapterID": "debugpy", "clientID": "devstack-tests"})
        yield client
    finally:
        with contextlib.suppress(OSError):
            client.send("disconnect", {"terminateDebuggee": False})
        sock.close()
