"""The free-port probe binds as the stack's servers bind (SO_REUSEADDR): a port whose old
connections sit in TIME_WAIT is free, a port something listens on is not, and a taken port
is explained by who holds it.

Sources: uvicorn's ``Server.startup`` calls asyncio's ``loop.create_server``, which sets
``SO_REUSEADDR`` on POSIX (``reuse_address`` defaults to true there,
``asyncio/base_events.py``); Node's libuv sets it on every TCP bind (``uv__tcp_bind`` in
``src/unix/tcp.c``). Linux lets such a bind share a port with TIME_WAIT sockets but never
with a listening socket (socket(7), ``SO_REUSEADDR``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import ports as ports_module
from devstack.errors import PortInUseError
from devstack.ports import (
    LOOPBACK,
    distinct_free_ports,
    free_port,
    in_use_message,
    is_free,
    resolve_ports,
)
from devstack.statelock import StateLock


def _time_wait_port() -> int:
    """A port with no listener whose last connection waits in TIME_WAIT on the server side."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((LOOPBACK, 0))
    listener.listen()
    port: int = listener.getsockname()[1]
    client = socket.create_connection((LOOPBACK, port))
    accepted, _ = listener.accept()
    listener.close()
    accepted.close()  # the server closes first: its side goes to TIME_WAIT ...
    client.recv(1)  # ... once the client has seen the FIN
    client.close()
    return port


def _states(port: int) -> set[str]:
    states = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            states.add(fields[3])
    return states


def _bind_without_reuse(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    sock.listen()
    yield sock
    sock.close()


def test_a_port_in_time_wait_is_free_as_the_servers_see_it() -> None:
    port = _time_wait_port()
    assert "06" in _states(port)  # TIME_WAIT: the situation after every Ctrl-C
    assert not _bind_without_reuse(port)  # what the old probe saw: "already in use"
    assert is_free(port)
    ports = resolve_ports(environ={"DEVSTACK_API_PORT": str(port)} | _free_others("api"))
    assert ports["api"] == port


def test_a_listening_port_is_taken(listening: socket.socket) -> None:
    port = listening.getsockname()[1]
    assert not is_free(port)
    with pytest.raises(PortInUseError) as caught:
        resolve_ports(environ={"DEVSTACK_VAULT_PORT": str(port)} | _free_others("vault"))
    message = str(caught.value)
    assert f"port {port} (vault) is already in use by pid {os.getpid()}" in message
    assert "set DEVSTACK_VAULT_PORT to another port" in message


def test_a_port_held_by_a_devstack_names_its_pid_and_state_dir(
    listening: socket.socket, tmp_path: Path
) -> None:
    lock = StateLock.acquire(tmp_path / "state")
    try:
        message = in_use_message(listening.getsockname()[1], "api")
    finally:
        lock.release()
    assert f"is held by the devstack running on {tmp_path / 'state'} (pid {os.getpid()}" in message
    assert f"`kill {os.getpid()}`" in message
    assert "or set DEVSTACK_API_PORT to another port" in message


def _free_others(*keep: str) -> dict[str, str]:
    pieces = ("api", "identity", "vault", "partner", "control", "blob", "queue", "table")
    return {f"DEVSTACK_{p.upper()}_PORT": str(free_port()) for p in pieces if p not in keep}


def test_every_taken_port_is_named_in_one_message_with_the_way_out(tmp_path: Path) -> None:
    """Three ports held by one devstack: one error names all three with their holder, each
    variable, and ``--free-ports``; not the first of them alone, as before."""
    sockets = []
    for _ in range(3):
        sock = socket.socket()
        sock.bind((LOOPBACK, 0))
        sock.listen()
        sockets.append(sock)
    api, vault, blob = (sock.getsockname()[1] for sock in sockets)
    lock = StateLock.acquire(tmp_path / "state")
    try:
        environ = {
            "DEVSTACK_API_PORT": str(api),
            "DEVSTACK_VAULT_PORT": str(vault),
            "DEVSTACK_BLOB_PORT": str(blob),
        } | _free_others("api", "vault", "blob")
        with pytest.raises(PortInUseError) as caught:
            resolve_ports(environ=environ)
    finally:
        lock.release()
        for sock in sockets:
            sock.close()
    message = str(caught.value)
    assert "\n" not in message
    pid = os.getpid()
    assert message.startswith(
        f"ports {api} (api), {vault} (vault), {blob} (blob) are held by the devstack running "
        f"on {tmp_path / 'state'} (pid {pid}"
    )
    assert (
        "or set DEVSTACK_API_PORT, DEVSTACK_VAULT_PORT, DEVSTACK_BLOB_PORT to other ports"
        in message
    )
    assert "make run ARGS=--free-ports" in message


def test_ports_held_by_different_processes_are_grouped_by_holder(
    listening: socket.socket,
) -> None:
    """A port held by this process and one held by a child: two groups, one line."""
    import subprocess
    import sys

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
            "print(s.getsockname()[1], flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        other = int(child.stdout.readline())
        mine = listening.getsockname()[1]
        environ = {"DEVSTACK_API_PORT": str(mine), "DEVSTACK_QUEUE_PORT": str(other)}
        with pytest.raises(PortInUseError) as caught:
            resolve_ports(environ=environ | _free_others("api", "queue"))
    finally:
        child.kill()
        child.wait()
    message = str(caught.value)
    assert f"port {mine} (api) is already in use by pid {os.getpid()}" in message
    assert f"; port {other} (queue) is already in use by pid {child.pid}" in message
    assert "set DEVSTACK_API_PORT, DEVSTACK_QUEUE_PORT to other ports" in message
    assert "--free-ports" in message


def _kernel_offering(monkeypatch: pytest.MonkeyPatch, *offers: int) -> list[int]:
    """The kernel's picks for a bind to port 0, scripted; the list shrinks as they go."""
    left = list(offers)
    monkeypatch.setattr(ports_module, "_ephemeral_port", lambda: left.pop(0))
    return left


def test_a_port_the_kernel_offers_again_is_not_taken_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A released port may be the kernel's next pick: the stack's public Storage ports are
    # chosen first and bound only after Azurite listens on its internal ones.
    public = {"blob": 41001, "queue": 41002, "table": 41003}
    left = _kernel_offering(monkeypatch, 41003, 41003, 42001, 41001, 42001, 42002, 42003)
    internal = distinct_free_ports(["blob", "queue", "table"], avoid=public.values())
    assert internal == {"blob": 42001, "queue": 42002, "table": 42003}
    assert left == []  # every offer was looked at: the avoided ones were passed over


def test_free_ports_for_the_pieces_are_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports_module, "is_free", lambda port: True)  # the offers are made up
    _kernel_offering(monkeypatch, 43001, 43001, 43002, 43001, 43003, *range(43004, 43020))
    values = list(resolve_ports(free=True).by_piece.values())
    assert values == list(range(43001, 43001 + len(values)))


def test_a_kernel_that_only_offers_taken_ports_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ports_module, "_ephemeral_port", lambda: 41003)
    with pytest.raises(PortInUseError, match="no free port outside the 1 already chosen"):
        free_port(avoid={41003})
