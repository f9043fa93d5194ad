"""P9's floor: a bare TLS relay, what any front that reads the requests costs at least.

The Storage front (devstack/storagefront) must end the client's TLS to see a request and
open its own to Azurite, so every byte is decrypted and encrypted once more than on the
way straight to Azurite. This relay does that and nothing else: no HTTP, no checks, two
threads per connection moving bytes with blocking sockets, where OpenSSL reads and writes
the socket itself (no memory BIO, no event loop). What the front costs beyond it is the
front's own work.

It runs in a process of its own, as the front runs in the stack's, so that the client's
threads and the relay never share an interpreter lock: ``python -m bench.tls_relay
UPSTREAM_PORT UPSTREAM_CA FOLDER`` writes a certificate authority of its own to
``FOLDER/ca.pem``, listens on a free port of 127.0.0.1, prints it, and relays to
``127.0.0.1:UPSTREAM_PORT`` (trusting ``UPSTREAM_CA``) until its standard input closes
(:mod:`devstack.lifeline`): a benchmark run that ends, however it ends, takes it along.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devstack.lifeline import watch_stdin
from devstack.runner import ROOT

HOST = "127.0.0.1"
PIECE = 256 * 1024


def _pump(source: ssl.SSLSocket, dest: ssl.SSLSocket) -> None:
    """Bytes from ``source`` to ``dest`` until ``source`` ends; then ``dest`` is told so."""
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    with contextlib.suppress(OSError):
        while count := source.recv_into(buffer):
            dest.sendall(view[:count])
    with contextlib.suppress(OSError):
        dest.shutdown(socket.SHUT_WR)


def _pair(
    raw: socket.socket, upstream: int, *, server: ssl.SSLContext, client: ssl.SSLContext
) -> None:
    try:
        near = server.wrap_socket(raw, server_side=True)
    except OSError:
        raw.close()
        return
    try:
        far = client.wrap_socket(socket.create_connection((HOST, upstream)), server_hostname=HOST)
    except OSError:
        near.close()
        return
    back = threading.Thread(target=_pump, args=(far, near), daemon=True)
    back.start()
    _pump(near, far)
    back.join()
    near.close()
    far.close()


def serve(
    listener: socket.socket, upstream: int, *, server: ssl.SSLContext, client: ssl.SSLContext
) -> None:
    """Relay every connection ``listener`` accepts (until it is closed)."""
    with contextlib.suppress(OSError):
        while True:
            raw, _ = listener.accept()
            threading.Thread(
                target=_pair,
                args=(raw, upstream),
                kwargs={"server": server, "client": client},
                daemon=True,
            ).start()


def main(argv: list[str]) -> None:
    import trustme

    upstream, upstream_ca, folder = int(argv[0]), argv[1], Path(argv[2])
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(server)
    client = ssl.create_default_context(cafile=upstream_ca)
    listener = socket.create_server((HOST, 0), backlog=64)
    watch_stdin(lambda: os._exit(0))
    print(listener.getsockname()[1], flush=True)
    serve(listener, upstream, server=server, client=client)


@dataclass(frozen=True)
class Relay:
    port: int
    ca: str  # the relay's own certificate authority, for the clients that use it

    def url(self, url: str, port: int) -> str:
        """``url`` (an endpoint on ``port``) pointed at the relay instead."""
        return url.replace(f":{port}/", f":{self.port}/", 1)


@contextlib.contextmanager
def running_relay(upstream: int, upstream_ca: str, folder: Path) -> Iterator[Relay]:
    """A relay process to ``127.0.0.1:upstream`` for the length of the block."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.tls_relay", str(upstream), upstream_ca, str(folder)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the TLS relay did not start (it printed {line!r})")
        yield Relay(int(line), str(folder / "ca.pem"))
    finally:
        assert process.stdin is not None
        process.stdin.close()  # its lifeline: it exits at once
        if process.stdout is not None:
            process.stdout.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
