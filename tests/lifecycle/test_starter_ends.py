"""A stack dies with whatever started it: nothing of a test session or a benchmark run that
ends, however it ends, is left running.

The stacks of ``devstack.runner`` run in a session of their own, so a signal to the
starter's process group does not reach them, and a starter killed outright cannot stop
them; they stop when their standard input, a pipe whose other end the starter holds,
closes (devstack/lifeline.py). Here a real pytest session that holds a stack is ended by
SIGTERM (what ``timeout`` sends its process group) and by SIGKILL, and a real
``timeout -s TERM 60 make bench`` is ended while its stack runs: every process either
started, found by pid and start time under the one that was ended, must end on its own.

Sources: pipe(7) ("If all file descriptors referring to the write end of a pipe have been
closed, then an attempt to read(2) from the pipe will see end-of-file"); timeout(1) (on
expiry it sends the signal to the command and, unless ``--foreground``, to its process
group). coreutils' timeout.c handles a SIGTERM it receives in the same function as its
own expiry and sends it the same way, so the test hands ``timeout`` that SIGTERM as soon
as the run's stack is up rather than waiting out the 60 s: the run is ended at a known
moment (its stack running) instead of wherever 60 s falls on a loaded machine, and it
exits with the command's status instead of 124.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from devstack.runner import ROOT
from tests.support.proctree import Seen, command_line, kill_left, tree, wait_until_all_ended
from tests.support.waiting import eventually

# Each test starts stacks in processes of its own (the `stacks` fixture says so).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.usefixtures("stacks"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc"),
]

#: A stack stops within its runner's grace (30 s) plus its children's (10 s); a loaded
#: machine is given twice that.
ENDED_WITHIN = 120.0

HOLDER = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    from devstack.runner import running_stack

    def test_holds_a_stack():
        with running_stack(Path(os.environ["HOLDER_STATE"])):
            Path(os.environ["HOLDER_READY"]).touch()
            time.sleep(600)
    """
)


def _is_stack(pid: int) -> bool:
    words = command_line(pid).split()
    return "devstack" in words and "up" in words


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_a_pytest_session_ended_by_a_signal_leaves_no_stack(
    tmp_path: Path, signum: signal.Signals
) -> None:
    (tmp_path / "test_holder.py").write_text(HOLDER)
    ready = tmp_path / "ready"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOLDER_STATE": str(tmp_path / "state"),
        "HOLDER_READY": str(ready),
    }
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_holder.py"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: set[Seen] = set()
    try:
        eventually(lambda: ready.exists() or session.poll() is not None, timeout=240, interval=0.5)
        assert session.poll() is None, "the pytest session ended before its stack was up"
        seen = tree(session.pid)
        endpoints = json.loads((tmp_path / "state" / "endpoints.json").read_text())
        started = [pid for pid, _ in seen if _is_stack(pid)]
        assert started == [endpoints["pid"]]
        assert len(seen) >= 4, "pytest, the stack, its Azurite and its host"
        session.send_signal(signum)
        session.wait(60)
        wait_until_all_ended(seen, timeout=ENDED_WITHIN)
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
        kill_left(seen)


#: How long the benchmark runs with its stack up before ``timeout`` is handed the SIGTERM.
RUNS_FOR_AFTER_ITS_STACK = 5.0


def test_a_benchmark_run_out_of_time_leaves_no_process_behind(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    run = subprocess.Popen(
        ["timeout", "-s", "TERM", "60", "make", "bench", f"ARGS=--only P2,P4 --out {out}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: set[Seen] = set()
    stacks: set[Seen] = set()
    ended_at: float | None = None
    try:
        while run.poll() is None:  # every process of the run, as it appears
            now = tree(run.pid)  # a process is read again: it may have been seen before exec
            stacks |= {each for each in now if _is_stack(each[0])}
            seen |= now
            if stacks and ended_at is None:
                ended_at = time.monotonic() + RUNS_FOR_AFTER_ITS_STACK
            if ended_at is not None and time.monotonic() >= ended_at:
                os.kill(run.pid, signal.SIGTERM)  # timeout(1) sends it on, as on expiry
                ended_at = float("inf")
            time.sleep(0.5)
        output = run.communicate()[0]
        assert stacks, f"no stack was started:\n{output}"
        assert run.returncode not in (0, 124), output  # ended by the signal, not finished
        assert "SIGTERM: stopped, and every stack it started with it" in output
        wait_until_all_ended(seen, timeout=ENDED_WITHIN)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        kill_left(seen)
