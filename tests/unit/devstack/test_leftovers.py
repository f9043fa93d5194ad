"""A start clears what a killed stack left running, recognised by recorded pid *and* start
time (``/proc/<pid>/stat`` field 22), never by name: a process that merely has a recorded
pid is left alone (proc(5))."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import leftovers, procfs


@pytest.fixture
def orphan() -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own session, as the stack starts Azurite and the host."""
    process = subprocess.Popen(["sleep", "120"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def test_a_recorded_child_that_survived_is_stopped(
    orphan: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    leftovers.record(tmp_path, [("host", orphan.pid)])
    stopped = leftovers.clear(tmp_path, grace=5)
    assert [(c.name, c.pid) for c in stopped] == [("host", orphan.pid)]
    assert orphan.wait(timeout=10) != 0
    assert not (tmp_path / leftovers.RECORD).exists()


def test_a_pid_with_another_start_time_is_not_ours(
    orphan: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    started = procfs.start_time(orphan.pid)
    assert started is not None
    record = {"children": [{"name": "host", "pid": orphan.pid, "start_time": started - 1}]}
    (tmp_path / leftovers.RECORD).write_text(json.dumps(record))
    assert leftovers.clear(tmp_path, grace=1) == []
    assert orphan.poll() is None  # still running: an unrelated process that reused the pid


def test_a_damaged_record_clears_nothing(tmp_path: Path) -> None:
    (tmp_path / leftovers.RECORD).write_text("{not json")
    assert leftovers.clear(tmp_path, grace=1) == []
