"""Deleting the state directory under a running stack: noticed, stopped cleanly, said once.

Without the watch, the stack ran on half-working: its CA bundle, signing key and lock gone,
the host's queue listeners failed every TLS handshake while ``/api/health`` answered, and a
second ``make run`` could take the directory again while the first still held the ports.
Source: unlink(2) and fstat(2): an open file whose last name is removed keeps its inode with
``st_nlink`` 0, which is how the stack sees that its lock file is gone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack import leftovers, procfs
from devstack.ports import is_free
from tests.lifecycle.stacks import Up, fixed_ports

# The test starts `python -m devstack up` itself (the `stacks` fixture says so).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stacks")]


def test_deleting_the_state_directory_stops_the_stack_with_one_line(tmp_path: Path) -> None:
    ports = fixed_ports()
    state = tmp_path / "state"
    running = Up(state, ports, ["--memory"]).start()  # with the devstack host
    children = leftovers.recorded(state)
    assert {c.name for c in children} == {"azurite", "host"}
    shutil.rmtree(state)
    assert running.finish(timeout=90) == 1
    output = running.output()
    line = (
        f"the state directory {state} was deleted while the stack ran (its certificates, "
        "signing key and lock went with it): stopping the stack; start it again with "
        "`make run` (delete the state directory only while no stack runs)"
    )
    assert [entry for entry in output.splitlines() if "was deleted" in entry] == [f"[stack] {line}"]
    assert "stopped unexpectedly" not in output
    assert not [c for c in children if procfs.is_alive(c.pid, c.start_time)]
    assert all(is_free(int(port)) for port in ports.values())
    again = Up(state, ports, ["--memory", "--host", "none"]).start()
    assert again.interrupt() == 0
