"""Children die with the stack: ``kill -9`` of the process that started them stops them too
(Linux's parent-death signal, prctl(2) ``PR_SET_PDEATHSIG``, kept across execve(2)), and a
child that dies while starting is explained by its last line of output."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import procfs
from devstack.errors import StackError
from devstack.processes import ChildProcess, wait_for_port
from devstack.runner import ROOT
from tests.support.waiting import eventually

PARENT = """
import asyncio, sys
from pathlib import Path
from devstack.processes import ChildProcess

async def main():
    child = ChildProcess("sleeper", ["sleep", "120"], env={"PATH": "/usr/bin:/bin"},
                         cwd=Path.cwd(), log_dir=Path(sys.argv[1]))
    await child.start()
    print(child.pid, flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux facility")
def test_children_die_with_a_killed_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    started = procfs.start_time(child)
    assert started is not None
    assert procfs.is_alive(child, started)
    try:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        eventually(lambda: not procfs.is_alive(child, started), timeout=20)
    finally:
        if procfs.is_alive(child, started):
            os.kill(child, signal.SIGKILL)


def start_up_failure(tmp_path: Path, code: str) -> str:
    """What the stack says of an ``azurite`` child that runs ``code`` and exits while the
    stack waits for its port."""

    async def start() -> None:
        child = ChildProcess(
            "azurite", [sys.executable, "-c", code], env={}, cwd=tmp_path, log_dir=tmp_path
        )
        await child.start()
        await wait_for_port(1, child, timeout=20)

    with pytest.raises(StackError) as caught:
        asyncio.run(start())
    return str(caught.value)


def test_a_child_that_dies_starting_is_explained_by_its_last_line(tmp_path: Path) -> None:
    code = "print('starting'); print('Exit due to unhandled error: x')"
    assert start_up_failure(tmp_path, code) == (
        "azurite exited during start-up: Exit due to unhandled error: x "
        f"(log: {tmp_path / 'azurite.log'})"
    )


def test_a_node_crash_is_explained_by_its_error_not_by_nodes_version(tmp_path: Path) -> None:
    """Node.js ends an uncaught exception with its own version ("Node.js v20.20.2"), after
    the error and its frames (nodejs.org/api/errors.html; seen after two set-ups raced and
    left Azurite without ``tslib``): the error line is the one that says what happened."""
    crash = "\n".join(
        [
            "node:internal/modules/cjs/loader:1228",
            "  throw err;",
            "Error: Cannot find module 'tslib'",
            "Require stack:",
            "- /checkout/node_modules/azurite/dist/src/azurite.js",
            "    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)",
            "  code: 'MODULE_NOT_FOUND',",
            "}",
            "",
            "Node.js v20.20.2",
        ]
    )
    assert start_up_failure(tmp_path, f"print({crash!r})") == (
        "azurite exited during start-up: Error: Cannot find module 'tslib' "
        f"(log: {tmp_path / 'azurite.log'})"
    )
