"""The stack's ports: defaults, overrides, free-port selection, clear conflicts."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

#: piece -> default port. Each can be moved with DEVSTACK_<PIECE>_PORT.
DEFAULT_PORTS: dict[str, int] = {
    "api": 7071,
    "identity": 7072,
    "vault": 7073,
    "partner": 7074,
    "control": 7075,
    "blob": 10000,
    "queue": 10001,
    "table": 10002,
}

LOOPBACK = "127.0.0.1"


class PortInUseError(RuntimeError):
    """A port the stack needs is taken; the message names the variable that moves it."""


def env_var(piece: str) -> str:
    return f"DEVSTACK_{piece.upper()}_PORT"


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Ports:
    by_piece: dict[str, int]

    def __getitem__(self, piece: str) -> int:
        return self.by_piece[piece]

    def rewrite_map(self) -> dict[int, int]:
        """Default port -> actual port, to rewrite loopback URLs in app settings."""
        return {DEFAULT_PORTS[piece]: port for piece, port in self.by_piece.items()}


def resolve_ports(*, free: bool = False, environ: dict[str, str] | None = None) -> Ports:
    """Pick every port: free ones (tests), else defaults overridden by the environment."""
    env = os.environ if environ is None else environ
    chosen: dict[str, int] = {}
    for piece, default in DEFAULT_PORTS.items():
        if free:
            port = free_port()
            while port in chosen.values():
                port = free_port()
            chosen[piece] = port
            continue
        raw = env.get(env_var(piece), str(default))
        try:
            port = int(raw)
        except ValueError as exc:
            raise PortInUseError(f"{env_var(piece)}={raw!r} is not a port number") from exc
        if not _is_free(port):
            raise PortInUseError(
                f"port {port} ({piece}) is already in use; set {env_var(piece)} to another port "
                "(or stop what holds it)"
            )
        chosen[piece] = port
    return Ports(chosen)
