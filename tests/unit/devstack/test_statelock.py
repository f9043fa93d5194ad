"""One stack per state directory: a second one is refused with the holder's pid, the lock
goes with the holder's process however it ends, and a stale record proves nothing
(flock(2): the lock belongs to the open file and is released when the process exits)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.errors import StackBusyError
from devstack.runner import ROOT
from devstack.statelock import LOCK_NAME, StateLock, holder

HOLD = (
    "import sys, time; from pathlib import Path; from devstack.statelock import StateLock; "
    "StateLock.acquire(Path(sys.argv[1])); print('held', flush=True); time.sleep(120)"
)


@pytest.fixture
def other_holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``tmp_path / "state"``, as a running stack would."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "state")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_second_stack_is_refused_with_the_holders_pid(
    other_holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with pytest.raises(StackBusyError) as caught:
        StateLock.acquire(state, retry_for=0.2)
    message = str(caught.value)
    assert f"the devstack running on {state} (pid {other_holder.pid}" in message
    assert f"`kill {other_holder.pid}`" in message
    assert "give this one its own --state-dir" in message
    running = holder(state)
    assert running is not None
    assert running.pid == other_holder.pid


def test_the_lock_goes_with_a_killed_holder(
    other_holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    os.kill(other_holder.pid, signal.SIGKILL)
    other_holder.wait()
    assert (state / LOCK_NAME).read_text()  # the dead holder's record is still there ...
    assert holder(state) is None  # ... and means nothing
    lock = StateLock.acquire(state)
    try:
        mine = holder(state)
        assert mine is not None
        assert mine.pid == os.getpid()
    finally:
        lock.release()
    assert holder(state) is None


def test_no_lock_file_means_no_stack(tmp_path: Path) -> None:
    assert holder(tmp_path) is None


def test_the_held_lock_knows_when_its_state_directory_was_deleted(tmp_path: Path) -> None:
    """unlink(2) leaves the open lock file's inode with no name: st_nlink 0 (fstat(2))."""
    import shutil

    lock = StateLock.acquire(tmp_path / "state")
    try:
        assert not lock.removed()
        shutil.rmtree(tmp_path / "state")
        assert lock.removed()
    finally:
        lock.release()
    assert not lock.removed()  # released: nothing held, nothing to report
