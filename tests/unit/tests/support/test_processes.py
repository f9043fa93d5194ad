"""tests/support/processes.py: one way to start a devstack process and wait until it is
ready; a process that exits or is never ready fails with the end of its log; the readiness
checks treat a refused connection, or a half-written endpoints.json, as "not yet" only."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from devstack.ports import free_port
from tests.support.processes import NotReady, host_answers, launch, stack_endpoints, wait_ready
from tests.support.servers import serve
from tests.support.waiting import eventually


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A process that writes one line and then does nothing for a minute."""
    log = tmp_path / "out.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield process, log
    # Killed, not stopped as a stack is: a child inherits an ignored SIGINT from an xdist
    # worker, and the Ctrl-C that stop_process sends first would be waited out for 30 s.
    process.kill()
    process.wait(10)


def test_the_value_of_the_readiness_check_is_returned(
    sleeper: tuple[subprocess.Popen[bytes], Path],
) -> None:
    process, log = sleeper
    answers = iter([None, None, {"api": "here"}])
    found = wait_ready(process, lambda: next(answers), what="x", log_path=log, timeout=30)
    assert found == {"api": "here"}


def test_a_process_that_exits_first_fails_with_its_code_and_log(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('no such setting: X'); sys.exit(3)"],
            stdout=out,
        )
    with pytest.raises(NotReady, match=r"(?s)the host exited 3 before it was ready:.*no such"):
        wait_ready(process, lambda: None, what="the host", log_path=log, timeout=60)


def test_a_process_never_ready_fails_with_its_log(
    sleeper: tuple[subprocess.Popen[bytes], Path],
) -> None:
    process, log = sleeper
    eventually(lambda: log.read_text() == "up\n")  # it has said something by now
    with pytest.raises(NotReady, match=r"(?s)the host was not ready within 0\.3s:\nup\n"):
        wait_ready(process, lambda: None, what="the host", log_path=log, timeout=0.3)
    assert process.poll() is None, "stopping it is the caller's"


def test_an_unmarked_test_may_not_start_a_process(tmp_path: Path) -> None:
    """This test requests no stack fixture (tests/support/marks.py), so it is refused."""
    with pytest.raises(pytest.fail.Exception, match="starts a thing but requests neither"):
        launch(["true"], what="a thing", log_path=tmp_path / "never.log")
    assert not (tmp_path / "never.log").exists()


def test_a_host_is_ready_when_its_ping_answers_200() -> None:
    assert host_answers(f"http://127.0.0.1:{free_port()}")() is None  # nothing listens yet
    pinged = Starlette(routes=[Route("/admin/host/ping", lambda _: PlainTextResponse(""))])
    with serve(pinged) as (origin, _):
        assert host_answers(origin)() is True
    missing = Starlette(routes=[])
    with serve(missing) as (origin, _):
        assert host_answers(origin)() is None  # answers, but not yet as a host


def test_a_broken_address_is_an_error_not_a_wait() -> None:
    with pytest.raises(requests.exceptions.InvalidURL):
        host_answers("http://127.0.0.1:notaport")()


def test_endpoints_count_only_when_written_by_the_stack_itself(tmp_path: Path) -> None:
    ready = stack_endpoints(tmp_path, pid=4242)
    assert ready() is None  # not written yet
    (tmp_path / "endpoints.json").write_text('{"pid": 42')
    assert ready() is None  # half written
    (tmp_path / "endpoints.json").write_text(json.dumps({"pid": 1, "api": "old"}))
    assert ready() is None  # a stack that was killed left it
    (tmp_path / "endpoints.json").write_text(json.dumps({"pid": 4242, "api": "new"}))
    assert ready() == {"pid": 4242, "api": "new"}
