"""The host's console as the Functions host and the Python worker shape it: the
``Executing``/``Executed`` lines of each invocation, system logs, and a failure's exception.

System logs: the worker sends every log record to the host marked ``User`` or ``System``;
a record is a system log when its logger's name starts with ``azure_functions_worker`` (the
worker's own) or ``azure.functions`` (the library), and system logs reach neither the local
console nor Application Insights, only the platform's own table (azure-functions-python-
worker, azure_functions_worker/logging.py ``is_system_log_category`` and
dispatcher.py ``on_logging``; tests/unittests/test_log_filtering_functions.py). Here they
go to ``<host state>/system.log`` instead of the console.

A failed invocation: the worker reports the exception as ``<type>: <message>`` with the
frames of its traceback (dispatcher.py ``_serialize_exception``, utils/tracing.py
``marshall_exception_trace``), and the host logs it as ``Result: Failure`` /
``Exception: <message>`` / ``Stack: <frames>`` (azure-functions-host,
src/WebJobs.Script/Workers/Rpc/RpcException.cs), so the console shows the line
``Exception: ZeroDivisionError: division by zero`` (the worker's
tests/unittests/test_http_functions.py ``check_log_unhandled_error``), not a Python
traceback.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from pathlib import Path

logger = logging.getLogger("devstack.host")

#: Logger names the worker marks as system logs.
SYSTEM_PREFIXES = ("azure_functions_worker", "azure.functions")
SYSTEM_LOG = "system.log"


def is_system(record: logging.LogRecord) -> bool:
    return record.name.startswith(SYSTEM_PREFIXES)


class UserLogs(logging.Filter):
    """Lets through what the console shows: the host's lines and the app's user logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not is_system(record)


class SystemLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return is_system(record)


def configure(state_dir: Path) -> None:
    """The console (stdout, the stack copies it to ``logs/host.log``) and the system log."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("azure").setLevel(logging.WARNING)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(UserLogs())
    state_dir.mkdir(parents=True, exist_ok=True)
    system = logging.FileHandler(state_dir / SYSTEM_LOG, encoding="utf-8", delay=True)
    system.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    system.addFilter(SystemLogs())
    root.addHandler(system)


def failure_text(function_name: str, error: BaseException) -> str:
    """What the host logs after ``Executed '...' (Failed, ...)``: the worker's exception."""
    message = f"{type(error).__name__}: {error}"
    stack = "".join(traceback.extract_tb(error.__traceback__).format()).rstrip()
    return (
        f"Exception while executing function: Functions.{function_name}. Result: Failure\n"
        f"Exception: {message}\nStack: {stack}"
    )


def executing(function_name: str, reason: str, invocation_id: str) -> float:
    """The host's line as an invocation starts; returns the start time for :func:`executed`."""
    logger.info(
        "Executing 'Functions.%s' (Reason='%s', Id=%s)", function_name, reason, invocation_id
    )
    return time.perf_counter()


def executed(
    function_name: str,
    invocation_id: str,
    started: float,
    error: BaseException | None,
    *,
    host_error: bool = False,
) -> None:
    """The host's line as an invocation ends. A failure is one entry with its exception, as
    the host logs it: the host's own failures (a timeout, a binding refused: ``host_error``)
    in a sentence, the function's as the worker reports it (:func:`failure_text`)."""
    duration = int((time.perf_counter() - started) * 1000)
    if error is None:
        logger.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)",
            function_name,
            invocation_id,
            duration,
        )
        return
    detail = (
        f"Exception while executing function: Functions.{function_name}. {error}"
        if host_error
        else failure_text(function_name, error)
    )
    logger.error(
        "Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)\n%s",
        function_name,
        invocation_id,
        duration,
        detail,
    )
