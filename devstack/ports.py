"""The stack's ports: defaults, overrides, free-port selection, clear conflicts.

A port counts as free when a listening server could bind it now. The probe binds with
``SO_REUSEADDR``, as every server of the stack does (uvicorn through asyncio's
``create_server``, which sets it on POSIX; Azurite through Node's libuv, which sets it
on every TCP bind): without it, the connections a stopped stack left in TIME_WAIT would
make its ports look taken for a minute after each Ctrl-C, though nothing listens.

A port that is really taken is explained: by the devstack that holds it (its pid and
state directory) when one does, else by the pid and name of the process listening. Every
taken port is named in the one message, with the way past them all: ``--free-ports``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from devstack import procfs, statelock
from devstack.errors import PortInUseError

#: piece -> default port. Each can be moved with DEVSTACK_<PIECE>_PORT.
DEFAULT_PORTS: dict[str, int] = {
    "api": 7071,
    "identity": 7072,
    "vault": 7073,
    "partner": 7074,
    "control": 7075,
    "tenant": 7076,
    "blob": 10000,
    "queue": 10001,
    "table": 10002,
}

LOOPBACK = "127.0.0.1"


__all__ = [
    "DEFAULT_PORTS",
    "LOOPBACK",
    "PortInUseError",
    "Ports",
    "distinct_free_ports",
    "free_port",
    "resolve_ports",
]


def env_var(piece: str) -> str:
    return f"DEVSTACK_{piece.upper()}_PORT"


def is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (bound as the stack's servers bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


#: The one way past every taken port at once.
FREE_PORTS_HINT = (
    "or move every port at once with `make run ARGS=--free-ports` "
    "(`devstack up --free-ports`; the banner shows the ports it took)"
)


def _holder(port: int) -> tuple[str, str]:
    """(who holds ``port``, how to stop it): a devstack by its pid and state directory,
    else the listening process's pid and name."""
    owner = procfs.listening_pid(port)
    stack = statelock.stack_of(owner) if owner is not None else None
    if stack is not None:
        return f"held by {stack.describe()}", stack.how_to_stop()
    by = ""
    if owner is not None:
        name = procfs.command_name(owner)
        by = f" by pid {owner}" + (f" ({name})" if name else "")
    return f"already in use{by}", "stop what holds it"


def conflicts_message(conflicts: list[tuple[str, int]]) -> str:
    """Every taken port in one line: who holds each (ports grouped by holder), and the
    ways out: stop the holder, move each port, or take free ports for all of them."""
    groups: dict[tuple[str, str], list[str]] = {}
    for piece, port in conflicts:
        groups.setdefault(_holder(port), []).append(f"{port} ({piece})")
    parts = []
    for (who, stop), ports in groups.items():
        plural = len(ports) > 1
        listed = ", ".join(ports)
        stop_them = stop.replace(" it", " them") if plural and stop.endswith(" it") else stop
        parts.append(
            f"{'ports' if plural else 'port'} {listed} {'are' if plural else 'is'} {who}: "
            f"{stop_them}"
        )
    variables = ", ".join(env_var(piece) for piece, _ in conflicts)
    target = "other ports" if len(conflicts) > 1 else "another port"
    return f"{'; '.join(parts)}; or set {variables} to {target}, {FREE_PORTS_HINT}"


def in_use_message(port: int, piece: str) -> str:
    """Why ``port`` is taken, by whom, and how to get past it."""
    return conflicts_message([(piece, port)])


#: How many ports the kernel may offer before one outside ``avoid`` is given up on.
_FREE_PORT_TRIES = 100


def _ephemeral_port() -> int:
    """A port the kernel picks for a bind to port 0, released again at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def free_port(*, avoid: Collection[int] = ()) -> int:
    """A port free now, and none of ``avoid``.

    A port chosen here is released at once, so the kernel may offer it again to the next
    bind to port 0: ``avoid`` holds the ports a caller has chosen but not yet bound (a
    stack's public Storage ports are bound only after Azurite listens on its internal ones,
    which must not be the same).
    """
    for _ in range(_FREE_PORT_TRIES):
        if (port := _ephemeral_port()) not in avoid:
            return port
    raise PortInUseError(f"no free port outside the {len(avoid)} already chosen")


def distinct_free_ports(names: Iterable[str], *, avoid: Collection[int] = ()) -> dict[str, int]:
    """A free port for each of ``names``, all different and none of ``avoid``."""
    chosen: dict[str, int] = {}
    for name in names:
        chosen[name] = free_port(avoid={*avoid, *chosen.values()})
    return chosen


@dataclass(frozen=True, slots=True)
class Ports:
    by_piece: dict[str, int]

    def __getitem__(self, piece: str) -> int:
        return self.by_piece[piece]

    def rewrite_map(self) -> dict[int, int]:
        """Default port -> actual port, to rewrite loopback URLs in app settings."""
        return {DEFAULT_PORTS[piece]: port for piece, port in self.by_piece.items()}


def _configured(piece: str, default: int, env: Mapping[str, str]) -> int:
    """``piece``'s port: DEVSTACK_<PIECE>_PORT if set, else its default."""
    raw = env.get(env_var(piece), str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise PortInUseError(f"{env_var(piece)}={raw!r} is not a port number") from exc


def resolve_ports(*, free: bool = False, environ: dict[str, str] | None = None) -> Ports:
    """Pick every port: free ones (tests), else defaults overridden by the environment."""
    if free:
        chosen = distinct_free_ports(DEFAULT_PORTS)
    else:
        env = os.environ if environ is None else environ
        chosen = {
            piece: _configured(piece, default, env) for piece, default in DEFAULT_PORTS.items()
        }
    taken = [(piece, port) for piece, port in chosen.items() if not is_free(port)]
    if taken:  # all of them in one message: moving them one per attempt takes eight tries
        raise PortInUseError(conflicts_message(taken))
    return Ports(chosen)
