"""Restarts as developers make them: Ctrl-C and start again at once, ``kill -9`` and start
again at once, a second ``up`` on a running stack's state directory or ports, commands
run against a stack that is gone.

Sources: socket(7) (``SO_REUSEADDR`` lets a listener bind next to TIME_WAIT connections,
which is how uvicorn, through asyncio's ``create_server``, and Azurite, through libuv, bind);
flock(2) (the state directory's lock dies with its holder); prctl(2) ``PR_SET_PDEATHSIG``
(children get a signal when the stack dies).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from devstack import leftovers, procfs
from devstack.leftovers import Recorded
from tests.lifecycle.stacks import Up, devstack, fixed_ports

# Each test starts `python -m devstack up` itself (the `stacks` fixture says so).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stacks")]

TIME_WAIT = "06"


def time_wait_on(ports: dict[str, str]) -> set[int]:
    """Our ports that have connections in TIME_WAIT (the kernel's view, /proc/net/tcp)."""
    wanted = {int(p) for p in ports.values()}
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        port = int(fields[1].rsplit(":", 1)[1], 16)
        if fields[3] == TIME_WAIT and port in wanted:
            found.add(port)
    return found


def test_ctrl_c_then_start_again_at_once_on_the_same_ports(tmp_path: Path) -> None:
    ports = fixed_ports()
    first = Up(tmp_path / "state", ports, ["--memory", "--host", "none"]).start()
    endpoints = first.endpoints()
    assert endpoints is not None
    with requests.Session() as session:  # keep-alive connections the stack must close
        identity = endpoints["jwks"]
        assert session.get(identity, timeout=10).status_code == 200
        assert session.get(f"{endpoints['control']}/stats/vault", timeout=10).ok
        assert first.interrupt() == 0
    assert time_wait_on(ports), "the stop left no TIME_WAIT: nothing would be reproduced"
    again = Up(tmp_path / "state", ports, ["--memory", "--host", "none"]).start()
    assert "already in use" not in again.output()
    assert again.interrupt() == 0


def test_kill_9_then_start_again_at_once(tmp_path: Path) -> None:
    ports = fixed_ports()
    state = tmp_path / "state"
    first = Up(state, ports, ["--memory"]).start()  # the devstack host too: the usual orphan
    children = leftovers.recorded(state)
    assert {c.name for c in children} == {"azurite", "host"}
    first.kill()
    gone = devstack(state, "azurite", "status")  # the stale endpoints.json is recognised
    assert gone.returncode == 1
    assert gone.stderr.strip() == (
        f"no devstack is running on {state} (its endpoints.json is left from a stack that "
        f"was killed): start it with `make run` or `devstack --state-dir {state} up`"
    )
    again = Up(state, ports, ["--memory"]).start()
    try:
        assert not [c for c in children if _alive(c)], "children outlived the killed stack"
        health = requests.get(f"{again.wait_ready()['api']}/health", timeout=10)
        assert health.status_code == 200
    finally:
        assert again.interrupt() == 0
    assert not [c for c in leftovers.recorded(state) if _alive(c)]


def test_a_second_up_on_a_running_stack_is_refused_by_name(tmp_path: Path) -> None:
    ports = fixed_ports()
    state = tmp_path / "state"
    running = Up(state, ports, ["--memory", "--host", "none"]).start()
    try:
        pid = running.process.pid  # type: ignore[union-attr]
        certs = (state / "certs" / "ca.pem").read_bytes()
        same_dir = Up(state, fixed_ports(), ["--memory", "--host", "none"]).start(wait=False)
        assert same_dir.finish() == 2
        assert (
            f"devstack cannot start: the devstack running on {state} (pid {pid}, since "
            in same_dir.output()
        )
        assert f"already holds it: stop it first (Ctrl-C in its terminal, or `kill {pid}`)" in (
            same_dir.output()
        )
        assert (state / "certs" / "ca.pem").read_bytes() == certs  # nothing was touched
        assert running.endpoints() is not None

        same_ports = Up(tmp_path / "other", ports, ["--memory", "--host", "none"]).start(wait=False)
        assert same_ports.finish() == 2
        assert f"is held by the devstack running on {state} (pid {pid}" in same_ports.output()

        stopped = devstack(state, "azurite", "stop")
        assert (stopped.returncode, stopped.stdout.strip()) == (0, "azurite is stopped")
        status = devstack(state, "azurite", "status")
        assert (status.returncode, status.stdout.strip()) == (3, "azurite is stopped")
        started = devstack(state, "azurite", "start")
        assert (started.returncode, started.stdout.strip()) == (0, "azurite is running")
    finally:
        assert running.interrupt() == 0


def _alive(child: Recorded) -> bool:
    return procfs.is_alive(child.pid, child.start_time)
