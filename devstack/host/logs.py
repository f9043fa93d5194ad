"""The host's console as the Functions host and the Python worker shape it.

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
import traceback
from pathlib import Path

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
