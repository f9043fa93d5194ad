"""The host's console: system logs kept off it, a failed invocation logged as the host logs it.

Sources: azure-functions-python-worker azure_functions_worker/logging.py
(``is_system_log_category``: names starting ``azure_functions_worker`` or
``azure.functions``), dispatcher.py (``on_logging`` marks them ``System``;
``_serialize_exception``: ``<type>: <message>`` and the traceback's frames),
tests/unittests/test_log_filtering_functions.py (system logs are not in the local
console) and test_http_functions.py (``check_log_unhandled_error``: the line
``Exception: ZeroDivisionError: division by zero``); azure-functions-host
src/WebJobs.Script/Workers/Rpc/RpcException.cs (``Result: ...\\nException: ...\\nStack: ...``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.host import logs


@pytest.fixture
def console(tmp_path: Path) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    azure_level = logging.getLogger("azure").level  # configure() quietens the SDKs' loggers
    for handler in saved[0]:
        root.removeHandler(handler)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)  # what basicConfig installs: the console
    logs.configure(tmp_path / "host")
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    logging.getLogger("azure").setLevel(azure_level)


def test_system_logs_stay_off_the_console_and_go_to_the_system_log(
    console: io.StringIO, tmp_path: Path
) -> None:
    logging.getLogger("azure.functions").warning("sdk_logger warning")
    logging.getLogger("azure.functions.submodule").error("sdk_submodule_logger error")
    logging.getLogger("azure_functions_worker").warning("worker warning")
    logging.getLogger().warning("logging warning")
    logging.getLogger("my_app").warning("app warning")
    shown = console.getvalue().splitlines()
    assert shown == ["logging warning", "app warning"]
    system = (tmp_path / "host" / logs.SYSTEM_LOG).read_text()
    for line in ("sdk_logger warning", "sdk_submodule_logger error", "worker warning"):
        assert line in system
    assert "logging warning" not in system


def test_a_failure_is_logged_as_the_hosts_exception_lines() -> None:
    def divide() -> float:
        return 1 / 0

    try:
        divide()
    except ZeroDivisionError as exc:
        text = logs.failure_text("unhandled_error", exc)
    lines = text.splitlines()
    assert lines[0] == (
        "Exception while executing function: Functions.unhandled_error. Result: Failure"
    )
    assert lines[1] == "Exception: ZeroDivisionError: division by zero"
    assert lines[2].startswith("Stack:   File ")
    assert "in divide" in text
    assert "Traceback (most recent call last)" not in text
