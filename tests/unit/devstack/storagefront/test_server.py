"""The front between clients and an upstream over TLS: keep-alive connections stay paired
with one upstream connection, bodies stream both ways unchanged, a key-based request is
answered in place and the connection goes on, and a paused front refuses connections."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.certs import DevCertificates, create_dev_certificates
from devstack.ports import free_port
from devstack.storagefront.refusal import CODE
from devstack.storagefront.server import StorageFront
from tests.support.servers import serve

BIG = 8 * 1024 * 1024 + 7


class Upstream:
    """Records which connection each request came on; echoes or streams bodies."""

    def __init__(self) -> None:
        self.clients: list[tuple[str, int]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.clients.append(scope["client"])
        digest, size = hashlib.sha256(), 0
        while True:
            message = await receive()
            digest.update(message.get("body", b""))
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        if scope["path"] == "/stream":  # no Content-Length: uvicorn sends it chunked
            await send({"type": "http.response.start", "status": 200, "headers": []})
            piece = {"type": "http.response.body", "body": b"x" * (BIG // 8), "more_body": True}
            for _ in range(8):
                await send(piece)
            await send({"type": "http.response.body", "body": b"x" * (BIG % 8)})
            return
        body = f"{size} {digest.hexdigest()}".encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Front:
    """A front running on its own event loop thread, as in the stack's process."""

    def __init__(self, front: StorageFront) -> None:
        self.front = front
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def close(self) -> None:
        self.call(self.front.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> DevCertificates:
    return create_dev_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def upstream(certs: DevCertificates, tmp_path: Path) -> Iterator[tuple[Upstream, int]]:
    combined = tmp_path / "upstream.pem"
    combined.write_bytes(certs.server_key.read_bytes() + certs.server_cert.read_bytes())
    app = Upstream()
    with serve(app, certfile=combined) as (_, port):
        yield app, port


@pytest.fixture
def front(certs: DevCertificates, upstream: tuple[Upstream, int]) -> Iterator[Front]:
    running = Front(
        StorageFront(
            "blob",
            host="127.0.0.1",
            port=free_port(),
            upstream_port=upstream[1],
            server_cert=certs.server_cert,
            server_key=certs.server_key,
            ca_cert=certs.ca_cert,
        )
    )
    running.call(running.front.start())
    yield running
    running.close()


def session(certs: DevCertificates) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would win over verify
    s.verify = str(certs.ca_bundle)
    return s


def test_keep_alive_uses_one_upstream_connection(
    front: Front, upstream: tuple[Upstream, int], certs: DevCertificates
) -> None:
    base = f"https://127.0.0.1:{front.front.port}"
    with session(certs) as s:
        for _ in range(5):
            assert s.get(f"{base}/devstoreaccount1/jobs", timeout=10).text.startswith("0 ")
    assert len(upstream[0].clients) == 5
    assert len(set(upstream[0].clients)) == 1


def test_bodies_stream_both_ways_unchanged(front: Front, certs: DevCertificates) -> None:
    base = f"https://127.0.0.1:{front.front.port}"
    payload = bytes(range(256)) * (BIG // 256) + b"tail"
    with session(certs) as s:
        echoed = s.put(f"{base}/devstoreaccount1/jobs/big", data=payload, timeout=60).text
        assert echoed == f"{len(payload)} {hashlib.sha256(payload).hexdigest()}"
        chunks = iter([payload[:1000], payload[1000:]])  # sent chunked by requests
        echoed = s.put(f"{base}/devstoreaccount1/jobs/big", data=chunks, timeout=60).text
        assert echoed == f"{len(payload)} {hashlib.sha256(payload).hexdigest()}"
        streamed = s.get(f"{base}/stream", timeout=60)
        assert streamed.headers.get("transfer-encoding") == "chunked"
        assert len(streamed.content) == BIG


def test_a_key_based_request_is_refused_and_the_connection_goes_on(
    front: Front, upstream: tuple[Upstream, int], certs: DevCertificates
) -> None:
    base = f"https://127.0.0.1:{front.front.port}/devstoreaccount1/jobs"
    with session(certs) as s:
        assert s.get(base, timeout=10).status_code == 200
        keyed = s.put(
            f"{base}/x", data=b"k" * 70000, headers={"Authorization": "SharedKey a:b"}, timeout=10
        )
        assert keyed.status_code == 403
        assert keyed.headers["x-ms-error-code"] == CODE
        sas = s.get(f"{base}?sv=2024-08-04&sp=rl&sig=c2ln", timeout=10)
        assert sas.status_code == 403
        assert s.get(base, timeout=10).status_code == 200
    assert len(upstream[0].clients) == 2  # the refused ones never reached it
    assert len(set(upstream[0].clients)) == 1  # and the connection survived them
    assert front.front.refused == 2


def test_a_paused_front_refuses_connections(front: Front, certs: DevCertificates) -> None:
    front.call(front.front.pause())
    with pytest.raises(ConnectionRefusedError), contextlib.closing(socket.socket()) as sock:
        sock.connect(("127.0.0.1", front.front.port))
    front.call(front.front.start())
    with session(certs) as s:
        assert s.get(f"https://127.0.0.1:{front.front.port}/", timeout=10).status_code == 200
