"""Every HTTP function of the app answers every app error its call graph can raise as JSON.

The functions are the ones ``function_app.py`` registers, indexed as the host indexes them
(``FunctionApp.get_functions()``), and called as the worker calls them. The errors a
function's call graph can raise are taken from the code: every app error defined in a
module the function's module reaches through its imports (those inside functions too), an
over-approximation that only makes the test stricter. Each is raised where the handler
first calls into the app (its first call, in source order, of a function of ``shared``,
``blueprints`` or ``posture``: ``require_caller``, ``identity_source``...), so it goes
through the rest of the handler and through ``api_errors`` as a real failure would. The
answer must be the one JSON error shape with what the error's class says it means for a
caller, and never the exception's own text.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import importlib
import inspect
import json
import textwrap
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import azure.functions as func
import pytest
from azure.functions.decorators.http import HttpTrigger

from blueprints.http.errors import ApiError
from devstack.runner import ROOT
from shared.errors import AppError
from shared.settings.environment import Problem
from tests.support.error_family import SHIPPED, exception_classes
from tests.support.imports import imported_modules

SAID = "what-the-exception-says"  # in the log line at most, never in an answer


def registered_blueprints() -> list[str]:
    """The blueprint modules function_app.py registers, read from its imports."""
    tree = ast.parse((ROOT / "function_app.py").read_text(encoding="utf-8"))
    return [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("blueprints.")
        and any(alias.name == "bp" for alias in node.names)
    ]


def http_functions() -> dict[str, Callable[..., Any]]:
    """Function name -> the callable the worker calls, for every HTTP function."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for module in registered_blueprints():
        app.register_functions(importlib.import_module(module).bp)
    return {
        str(function.get_function_name()): function.get_user_function()
        for function in app.get_functions()
        if isinstance(function.get_trigger(), HttpTrigger)
    }


@functools.cache
def imports_of(name: str) -> tuple[str, ...] | None:
    """The modules module ``name`` imports (None: ``name`` is not a module). Read once per
    module: every HTTP function's walk crosses the same shared modules."""
    try:
        loaded = importlib.import_module(name)
    except ImportError:
        return None  # "from package import name": the name is not a module
    source = inspect.getsource(loaded) if loaded.__file__ else ""
    return tuple(target for _, target in imported_modules(source, name))


def reached(module: str) -> set[str]:
    """The shipped modules ``module`` reaches through its imports, itself included."""
    seen: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        if name in seen or name.split(".")[0] not in SHIPPED:
            continue
        targets = imports_of(name)
        if targets is None:
            continue
        seen.add(name)
        pending += targets
    return seen


_FAMILY = {
    qualified: cls
    for package in SHIPPED
    for qualified, cls in exception_classes(package).items()
    if issubclass(cls, AppError)
}


def raisable(handler: Callable[..., Any]) -> list[type[AppError]]:
    """Every app error defined in a module the handler's module reaches."""
    modules = reached(handler.__module__)
    return sorted(
        (cls for cls in _FAMILY.values() if cls.__module__ in modules),
        key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
    )


def first_app_call(handler: Callable[..., Any]) -> tuple[object, str]:
    """``(owner, attribute)`` of the handler's first call into the app, to replace."""
    original = inspect.unwrap(handler)
    module = importlib.import_module(original.__module__)
    body = ast.parse(textwrap.dedent(inspect.getsource(original))).body[0]
    assert isinstance(body, ast.FunctionDef | ast.AsyncFunctionDef)
    calls = sorted(  # in its body: the decorators are not the handler's calls
        (node for stmt in body.body for node in ast.walk(stmt) if isinstance(node, ast.Call)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    for call in calls:
        owner, attribute = _resolved(call.func, module)
        target = getattr(owner, attribute, None) if owner is not None else None
        app_module = getattr(target, "__module__", None) or ""
        if callable(target) and not inspect.isclass(target) and app_module.split(".")[0] in SHIPPED:
            return owner, attribute
    raise AssertionError(f"{original.__name__} calls nothing of the app's")


def _resolved(node: ast.expr, module: ModuleType) -> tuple[object | None, str]:
    if isinstance(node, ast.Name):
        return module, node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return vars(module).get(node.value.id), node.attr
    return None, ""


def instance_of(cls: type[AppError]) -> AppError:
    """An instance of ``cls`` whose text is :data:`SAID`, whatever its constructor takes."""
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except ValueError:  # the builtin constructor: a message
        return cls(SAID)
    arguments: list[object] = []
    for parameter in parameters:
        if parameter.default is not inspect.Parameter.empty or parameter.kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            continue
        if parameter.name == "problem":
            arguments.append(Problem(SAID, "a value shaped like a secret: generated"))
        elif "int" in str(parameter.annotation):
            arguments.append(599)
        else:
            arguments.append(SAID)
    return cls(*arguments)


def request() -> func.HttpRequest:
    return func.HttpRequest(
        method="POST",
        url="/api/x",
        headers={"content-type": "application/json"},
        body=b'{"text": "x"}',
        route_params={"id": "00000000-0000-4000-8000-000000000000"},
        params={},
    )


def call(handler: Callable[..., Any]) -> func.HttpResponse:
    result = handler(request())
    response: func.HttpResponse = asyncio.run(result) if inspect.iscoroutine(result) else result
    return response


def problems(handler: Callable[..., Any], error: AppError) -> list[str]:
    """What is wrong with the answer of ``handler`` once ``error`` was raised in it."""
    try:
        response = call(handler)
    except Exception as exc:
        return [f"{type(exc).__name__} reached the host instead of an answer"]
    found = []
    expected = {"code": error.code, "message": error.caller_message}
    if isinstance(error, ApiError) and error.target is not None:
        expected["target"] = error.target
    if response.status_code != error.http_status:
        found.append(f"status {response.status_code}, not {error.http_status}")
    if response.mimetype != "application/json":
        found.append(f"mimetype {response.mimetype}")
    else:
        body = json.loads(response.get_body())
        if body != {"error": expected}:
            found.append(f"body {body}, not { ({'error': expected}) }")
    if not isinstance(error, ApiError) and SAID in response.get_body().decode():
        found.append("the exception's text reached the caller")
    if error.transient and "Retry-After" not in response.headers:
        found.append("no Retry-After for a transient error")
    return found


def cases() -> Iterator[Any]:
    for name, handler in sorted(http_functions().items()):
        for cls in raisable(handler):
            yield pytest.param(handler, cls, id=f"{name}-{cls.__qualname__}")


def test_every_http_function_and_a_family_of_errors_are_found() -> None:
    functions = http_functions()
    assert {"submit_job", "get_job", "retry_job", "health", "get_posture"} <= set(functions)
    submit = {cls.__name__ for cls in raisable(functions["submit_job"])}
    assert {"JobStoreError", "VaultUnavailableError", "PartnerKeyError", "BadRequest"} <= submit


@pytest.mark.parametrize(("handler", "cls"), list(cases()))
def test_the_error_is_answered_in_the_one_json_shape(
    handler: Callable[..., Any], cls: type[AppError], monkeypatch: pytest.MonkeyPatch
) -> None:
    error = instance_of(cls)
    owner, attribute = first_app_call(handler)

    def raising(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(owner, attribute, raising)
    assert problems(handler, error) == []


def test_a_function_without_the_decorator_is_found_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself, on a generated handler that lets an app error reach the host."""
    import blueprints.http.caller

    def bare(req: func.HttpRequest) -> func.HttpResponse:
        blueprints.http.caller.require_caller(req)
        return func.HttpResponse("ok")

    error = instance_of(raisable(http_functions()["get_job"])[0])

    def raising(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(blueprints.http.caller, "require_caller", raising)
    assert problems(bare, error) == [
        f"{type(error).__name__} reached the host instead of an answer"
    ]
