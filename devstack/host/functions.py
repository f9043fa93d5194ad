"""Indexing a Python v2 function app and invoking its functions like the worker.

The worker imports the script (``function_app.py`` or
``PYTHON_SCRIPT_FILE_NAME``), requires exactly one top-level ``FunctionApp``,
and builds every function with ``app.get_functions()``. Sync functions run on
a thread pool, async ones on the event loop; each invocation is logged with
the host's ``Executing``/``Executed`` lines.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions.decorators.constants import HTTP_TRIGGER as HTTP_TRIGGER
from azure.functions.decorators.constants import QUEUE_TRIGGER as QUEUE_TRIGGER
from azure.functions.decorators.constants import TIMER_TRIGGER as TIMER_TRIGGER
from azure.functions.decorators.function_app import FunctionRegister

logger = logging.getLogger("devstack.host")

#: The library's binding names of the triggers the host serves (re-exported for the host).
SUPPORTED_TRIGGERS = (HTTP_TRIGGER, QUEUE_TRIGGER, TIMER_TRIGGER)


class IndexingError(RuntimeError):
    """The app cannot be indexed; the real host would refuse to start it too."""


@dataclass(frozen=True, slots=True)
class IndexedFunction:
    name: str
    trigger_type: str
    trigger: Any
    param_name: str
    user_function: Callable[..., Any]
    wants_context: bool
    is_async: bool


class _Context(func.Context):
    """The ``context`` argument a function may declare."""

    def __init__(self, invocation_id: str, function_name: str, directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._directory = directory
        self._local = threading.local()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None

    @property
    def thread_local_storage(self) -> Any:
        return self._local


def load_function_app(app_dir: Path, script_file: str = "function_app.py") -> FunctionRegister:
    """Import the script and return its single top-level ``FunctionApp``."""
    path = (app_dir / script_file).resolve()
    if not path.is_file():
        raise IndexingError(f"{path} not found (set PYTHON_SCRIPT_FILE_NAME to change it)")
    if str(app_dir.resolve()) not in sys.path:
        sys.path.insert(0, str(app_dir.resolve()))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise IndexingError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    apps = [value for value in vars(module).values() if isinstance(value, FunctionRegister)]
    if len(apps) != 1:
        raise IndexingError(
            f"{path.name} must define exactly one top-level FunctionApp, found {len(apps)}"
        )
    return apps[0]


def index_functions(app: FunctionRegister) -> list[IndexedFunction]:
    """Build every function and check what the host checks."""
    try:
        functions = app.get_functions()
    except ValueError as exc:
        raise IndexingError(f"indexing failed: {exc}") from exc
    indexed: list[IndexedFunction] = []
    seen: set[str] = set()
    for function in functions:
        name = function.get_function_name() or ""
        if not name or name.lower() in seen:
            raise IndexingError(f"missing or duplicate function name {name!r}")
        seen.add(name.lower())
        trigger = function.get_trigger()
        if trigger is None:
            raise IndexingError(f"function {name!r} has no trigger")
        trigger_type = trigger.get_binding_name()
        if trigger_type not in SUPPORTED_TRIGGERS:
            raise IndexingError(
                f"function {name!r}: trigger {trigger_type!r} is not supported by the devstack host"
            )
        user_function = function.get_user_function()
        parameters = inspect.signature(user_function).parameters
        indexed.append(
            IndexedFunction(
                name=name,
                trigger_type=trigger_type,
                trigger=trigger,
                param_name=trigger.name,
                user_function=user_function,
                wants_context="context" in parameters,
                is_async=inspect.iscoroutinefunction(user_function),
            )
        )
    return indexed


def is_disabled(name: str, environ: Mapping[str, str]) -> bool:
    """``AzureWebJobs.<name>.Disabled`` = ``true`` (or ``1``) turns a function off, as in the
    host: its trigger is not listened to and an HTTP route answers 404."""
    value = environ.get(f"AzureWebJobs.{name}.Disabled", "")
    return value.strip().lower() in ("true", "1")


class Invoker:
    """Runs functions with the host's logging and the worker's threading model."""

    def __init__(self, *, app_dir: Path, max_workers: int = 32) -> None:
        self._app_dir = str(app_dir)
        self.executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="invoke")

    def _arguments(
        self, function: IndexedFunction, value: Any, invocation_id: str
    ) -> dict[str, Any]:
        arguments = {function.param_name: value}
        if function.wants_context:
            arguments["context"] = _Context(invocation_id, function.name, self._app_dir)
        return arguments

    def invoke(self, function: IndexedFunction, value: Any, *, reason: str) -> Any:
        """Invoke from a worker thread (queue and timer triggers); re-raises failures."""
        invocation_id = str(uuid.uuid4())
        started = _log_start(function, reason, invocation_id)
        try:
            arguments = self._arguments(function, value, invocation_id)
            if function.is_async:
                result = asyncio.run(function.user_function(**arguments))
            else:
                result = function.user_function(**arguments)
        except BaseException as exc:
            _log_end(function, invocation_id, started, exc)
            raise
        _log_end(function, invocation_id, started, None)
        return result

    async def invoke_async(self, function: IndexedFunction, value: Any, *, reason: str) -> Any:
        """Invoke from the HTTP event loop: sync functions go to the thread pool."""
        invocation_id = str(uuid.uuid4())
        started = _log_start(function, reason, invocation_id)
        try:
            arguments = self._arguments(function, value, invocation_id)
            if function.is_async:
                result = await function.user_function(**arguments)
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(
                    self.executor, lambda: function.user_function(**arguments)
                )
        except Exception as exc:
            _log_end(function, invocation_id, started, exc)
            raise
        _log_end(function, invocation_id, started, None)
        return result

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _log_start(function: IndexedFunction, reason: str, invocation_id: str) -> float:
    logger.info(
        "Executing 'Functions.%s' (Reason='%s', Id=%s)", function.name, reason, invocation_id
    )
    return time.perf_counter()


def _log_end(
    function: IndexedFunction, invocation_id: str, started: float, error: BaseException | None
) -> None:
    duration = int((time.perf_counter() - started) * 1000)
    if error is None:
        logger.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)",
            function.name,
            invocation_id,
            duration,
        )
        return
    logger.error(
        "Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)",
        function.name,
        invocation_id,
        duration,
        exc_info=(type(error), error, error.__traceback__),
    )
