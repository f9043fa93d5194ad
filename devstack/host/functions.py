"""Indexing a Python v2 function app the way the worker and the host do.

The worker imports the script (``function_app.py`` or ``PYTHON_SCRIPT_FILE_NAME``),
requires exactly one top-level ``FunctionApp``, builds every function with
``app.get_functions()`` and checks each signature against its bindings; any failure
there fails the whole app (in Azure it then serves nothing), so the devstack host does
not start and says why in one line.

Then, per function, what the host would refuse for that function alone (an app setting a
``%name%`` refers to is missing, a Storage connection has no service URI) and what the
devstack host cannot run (a binding type it does not implement) turn into a
:class:`Refusal`: that function is not loaded, is named in one log line, and the others
run.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.functions.decorators.function_app import FunctionRegister

from devstack.host.bindings import connections, expressions
from devstack.host.bindings.model import (
    BLOB_TRIGGER,
    HTTP_TRIGGER,
    QUEUE_TRIGGER,
    STORAGE_SERVICE,
    TABLE,
    TIMER_TRIGGER,
    BindingSpec,
    read_bindings,
    unsupported,
)
from devstack.host.bindings.signature import (
    SdkTypeBindingError,
    Signature,
    SignatureError,
    read_signature,
)
from devstack.host.retry import RetryPolicy, RetryPolicyError

__all__ = [
    "BLOB_TRIGGER",
    "HTTP_TRIGGER",
    "QUEUE_TRIGGER",
    "TIMER_TRIGGER",
    "IndexedFunction",
    "IndexingError",
    "Refusal",
    "index_functions",
    "is_disabled",
    "load_function_app",
    "prepare",
]

RETRY_SETTING = "retry_policy"
#: Triggers whose extension supports runtime retry policies (of those the devstack runs).
RETRY_TRIGGERS = frozenset({TIMER_TRIGGER})
#: Binding settings that hold names or paths (``%setting%`` and ``{...}`` apply).
_RESOLVED_SETTINGS = ("path", "queueName", "tableName", "partitionKey", "rowKey", "filter")


class IndexingError(RuntimeError):
    """The app cannot be indexed; the real worker would fail it as a whole too."""


@dataclass(frozen=True, slots=True)
class IndexedFunction:
    name: str
    trigger_type: str
    trigger: Any  # the library's trigger object (route, methods, schedule...)
    trigger_binding: BindingSpec
    user_function: Callable[..., Any]
    is_async: bool
    bindings: tuple[BindingSpec, ...]
    signature: Signature
    retry: RetryPolicy | None
    directory: str
    #: Why the devstack host cannot run this function though the worker would index it.
    refused: str | None = None

    @property
    def param_name(self) -> str:
        return self.trigger_binding.name

    @property
    def wants_context(self) -> bool:
        return self.signature.requires_context

    @property
    def io_bindings(self) -> tuple[BindingSpec, ...]:
        return tuple(b for b in self.bindings if b is not self.trigger_binding)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A function the devstack host does not load, and the one-line reason."""

    name: str
    reason: str

    def line(self) -> str:
        return f"Function 'Functions.{self.name}' is not loaded: {self.reason}"


def _where(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" ({Path(exc.filename).name}, line {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" ({Path(last.filename).name}, line {last.lineno})"


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
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise IndexingError(
            f"importing {path.name} failed: {type(exc).__name__}: {exc}{_where(exc)}"
        ) from exc
    apps = [value for value in vars(module).values() if isinstance(value, FunctionRegister)]
    if len(apps) != 1:
        raise IndexingError(
            f"{path.name} must define exactly one top-level FunctionApp, found {len(apps)}"
        )
    return apps[0]


def index_functions(app: FunctionRegister) -> list[IndexedFunction]:
    """Build every function and check what the worker checks."""
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
        bindings = read_bindings(function)
        trigger_binding = next(b for b in bindings if b.name == trigger.name and b.is_trigger)
        user_function = function.get_user_function()
        refused: str | None = None
        try:
            signature = read_signature(name, user_function, bindings)
            retry = RetryPolicy.from_settings(function.get_settings_dict(RETRY_SETTING))
        except SdkTypeBindingError as exc:
            signature, retry, refused = Signature({}, {}, None, False), None, str(exc)
        except (SignatureError, RetryPolicyError) as exc:
            raise IndexingError(str(exc)) from exc
        indexed.append(
            IndexedFunction(
                name=name,
                trigger_type=trigger_binding.type,
                trigger=trigger,
                trigger_binding=trigger_binding,
                user_function=user_function,
                is_async=inspect.iscoroutinefunction(user_function),
                bindings=bindings,
                signature=signature,
                retry=retry,
                directory=str(Path(inspect.getfile(user_function)).parent),
                refused=refused,
            )
        )
    return indexed


def _resolve_settings(binding: BindingSpec, environ: Mapping[str, str]) -> BindingSpec:
    settings = dict(binding.settings)
    for key in list(settings):
        if key in _RESOLVED_SETTINGS and isinstance(settings[key], str):
            settings[key] = expressions.resolve_settings(settings[key], environ)
    return dataclasses.replace(binding, settings=settings)


def prepare(
    function: IndexedFunction, environ: Mapping[str, str]
) -> tuple[IndexedFunction | None, Refusal | None, list[str]]:
    """Resolve ``%settings%`` and check what only this function depends on.

    Returns the function ready to run (or a refusal) and warnings worth one log line each.
    """
    warnings: list[str] = []
    if function.refused is not None:
        return None, Refusal(function.name, function.refused), warnings
    for binding in function.bindings:
        if unsupported(binding):
            return (
                None,
                Refusal(
                    function.name,
                    f"binding {binding.describe()} is not supported by the devstack host",
                ),
                warnings,
            )
    try:
        bindings = tuple(_resolve_settings(b, environ) for b in function.bindings)
        for binding in bindings:
            service = STORAGE_SERVICE.get(binding.type)
            if service is not None:
                connections.service_uri(connections.connection_name(binding), service, environ)
    except (expressions.ExpressionError, connections.ConnectionSettingError) as exc:
        return None, Refusal(function.name, str(exc)), warnings
    for binding in bindings:
        if binding.type == TABLE and binding.direction == "in" and binding.setting("rowKey"):
            warnings.append(
                f"Functions.{function.name}: table input {binding.name!r} sets rowKey, which "
                "the Tables extension ignores for Python apps: every entity of the partition "
                "is passed (as in Azure)"
            )
    retry = function.retry
    if retry is not None and function.trigger_type not in RETRY_TRIGGERS:
        warnings.append(
            f"Retries are not supported for function 'Functions.{function.name}' "
            f"({function.trigger_type}): its retry policy is ignored, as in Azure"
        )
        retry = None
    trigger_binding = next(b for b in bindings if b.name == function.trigger_binding.name)
    ready = dataclasses.replace(
        function, bindings=bindings, trigger_binding=trigger_binding, retry=retry
    )
    return ready, None, warnings


def is_disabled(name: str, environ: Mapping[str, str]) -> bool:
    """``AzureWebJobs.<name>.Disabled`` = ``true`` (or ``1``) turns a function off, as in the
    host: its trigger is not listened to and an HTTP route answers 404."""
    value = environ.get(f"AzureWebJobs.{name}.Disabled", "")
    return value.strip().lower() in ("true", "1")
