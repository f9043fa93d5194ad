"""bench.tls_relay: P9's floor relays every byte both ways, and ends with whoever started it."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import trustme

from bench.tls_relay import HOST, running_relay
from devstack.runner import ROOT
from tests.support.waiting import eventually


def _read_exactly(sock: ssl.SSLSocket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        piece = sock.recv(count - len(data))
        if not piece:
            break
        data += piece
    return bytes(data)


@contextlib.contextmanager
def _echo_server(folder: Path) -> Iterator[tuple[int, str]]:
    """A TLS server that reads a length-prefixed message, sends it back and hangs up."""
    authority = trustme.CA()
    ca = folder / "upstream-ca.pem"
    authority.cert_pem.write_to_path(str(ca))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(context)
    listener = socket.create_server((HOST, 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                raw, _ = listener.accept()
                with context.wrap_socket(raw, server_side=True) as conn:
                    size = int.from_bytes(_read_exactly(conn, 4), "big")
                    conn.sendall(_read_exactly(conn, size))

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1], str(ca)
    finally:
        listener.close()


def _round_trip(port: int, ca: str, payload: bytes) -> bytes:
    context = ssl.create_default_context(cafile=ca)
    with context.wrap_socket(
        socket.create_connection((HOST, port), timeout=30), server_hostname=HOST
    ) as conn:
        conn.sendall(len(payload).to_bytes(4, "big") + payload)
        received = bytearray()
        while piece := conn.recv(1 << 16):
            received += piece
        return bytes(received)


def _refused(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return True
    return False


def test_every_byte_goes_through_both_ways_and_the_end_follows(tmp_path: Path) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)  # many reads of the relay's buffer, and a tail
    with (
        _echo_server(tmp_path) as (upstream, upstream_ca),
        running_relay(upstream, upstream_ca, tmp_path) as relay,
    ):
        assert _round_trip(relay.port, relay.ca, payload) == payload
        assert _round_trip(relay.port, relay.ca, b"again") == b"again"  # a connection each
    assert _refused(relay.port)  # the block's end ended it


def test_the_relay_ends_when_its_starter_is_killed(tmp_path: Path) -> None:
    """No ``finally`` runs in a starter killed outright: the lifeline alone ends the relay."""
    starter = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from bench.tls_relay import running_relay\n"
        "with running_relay(1, sys.argv[1], Path(sys.argv[2])) as relay:\n"
        "    print(relay.port, flush=True)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    ca = tmp_path / "any-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    done = subprocess.run(
        [sys.executable, "-c", starter, str(ca), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr
    port = int(done.stdout.split()[0])
    eventually(lambda: _refused(port), timeout=10)
