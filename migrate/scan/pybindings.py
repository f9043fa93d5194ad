"""Triggers, bindings and HTTP auth levels of a v2 (decorator) module.

``@app.blob_trigger(..., connection="X")`` becomes a :class:`Binding` on the line that names
``X``; ``@app.route(..., auth_level=...)`` and ``func.FunctionApp(http_auth_level=...)``
become :class:`HttpFacts`. A route without ``auth_level`` takes the level of the app it is
registered on, which defaults to ``FUNCTION`` (azure-functions, ``FunctionApp.__init__``), so
whether it needs a key is decided for the whole tree, not per module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from migrate.scan.bindings import (
    DECORATORS,
    GENERIC,
    SECRET_PROPERTIES,
    Binding,
    SecretSetting,
    classify,
    default_connection,
    entity_of,
)
from migrate.scan.pyfacts import ModuleFacts

APP_CLASSES = frozenset({"FunctionApp", "AsgiFunctionApp", "WsgiFunctionApp"})
KEYED_LEVELS = frozenset({"FUNCTION", "ADMIN"})


@dataclass(slots=True)
class HttpFacts:
    #: (file, line, class, level) of every FunctionApp-like constructor; level upper-cased.
    apps: list[tuple[str, int, str, str]] = field(default_factory=list)
    #: (file, line, level) of routes that set a key-requiring level themselves.
    keyed_routes: list[tuple[str, int, str]] = field(default_factory=list)
    #: files of routes that set no level (they take the level of the app they belong to).
    open_routes: list[str] = field(default_factory=list)
    blueprint_modules: int = 0


def _level(node: ast.expr, facts: ModuleFacts) -> str | None:
    text = facts.string(node)
    if text is not None:
        return text.upper()
    if isinstance(node, ast.Attribute):
        return node.attr.upper()
    return None


def _kw(call: ast.Call, *names: str) -> ast.keyword | None:
    return next((kw for kw in call.keywords if kw.arg in names), None)


def scan_module(
    tree: ast.Module, facts: ModuleFacts, file: str, http: HttpFacts
) -> tuple[list[Binding], list[SecretSetting], bool]:
    """Bindings and secret-naming properties of the module, and whether it is a v2 module."""
    bindings: list[Binding] = []
    secrets: list[SecretSetting] = []
    v2 = False
    if not any(
        q == "azure.functions" or q.startswith("azure.functions.") for q in facts.imports.values()
    ):
        return bindings, secrets, v2  # a Flask or FastAPI route is not a Functions route
    for node in facts.nodes:
        if isinstance(node, ast.Call):
            cls = (facts.qualified(node.func) or "").rsplit(".", 1)[-1]
            if cls in APP_CLASSES:
                v2 = True
                kw = _kw(node, "http_auth_level", "auth_level")
                level = (_level(kw.value, facts) if kw else None) or "FUNCTION"
                http.apps.append((file, node.lineno, cls, level))
            elif cls == "Blueprint":
                v2 = True
                http.blueprint_modules += 1
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute):
                    _decorator(decorator, node.name, facts, file, http, bindings, secrets)
    return bindings, secrets, v2


def _decorator(
    call: ast.Call,
    function: str,
    facts: ModuleFacts,
    file: str,
    http: HttpFacts,
    bindings: list[Binding],
    secrets: list[SecretSetting],
) -> None:
    method = call.func.attr  # type: ignore[attr-defined]
    binding_type: str | None = None
    direction: str | None = None
    if method == "route" or (method == "generic_trigger" and _is_http(call, facts)):
        kw = _kw(call, "auth_level")
        level = _level(kw.value, facts) if kw else None
        if level is None:
            http.open_routes.append(file)
        elif level in KEYED_LEVELS and kw is not None:
            http.keyed_routes.append((file, kw.value.lineno, level))
        return
    if method in DECORATORS:
        binding_type, direction = DECORATORS[method]
    elif method in GENERIC:
        kw = _kw(call, "type")
        binding_type = facts.string(kw.value) if kw else None
        direction = GENERIC[method]
    if binding_type is None or direction is None:
        return
    for kw in call.keywords:
        if kw.arg in SECRET_PROPERTIES:
            setting = facts.string(kw.value)
            if setting:
                secrets.append(
                    SecretSetting(file, kw.value.lineno, SECRET_PROPERTIES[kw.arg], setting, kw.arg)
                )
    classified = classify(binding_type, direction)
    if classified is None:
        return
    service, resolved = classified
    kw = _kw(call, "connection", "connection_string_setting", "connectionStringSetting")
    name = facts.string(kw.value) if kw else None
    literals = {k.arg: facts.string(k.value) for k in call.keywords if k.arg}
    entity = entity_of(literals)
    if kw is not None and name:
        line, prop = kw.value.lineno, kw.arg or ""
        bindings.append(
            Binding(file, line, service, resolved, name, binding_type, function, "v2", prop, entity)
        )
        return
    default = default_connection(service)
    if default is not None:
        line = kw.value.lineno if kw else call.lineno
        bindings.append(
            Binding(
                file, line, service, resolved, default, binding_type, function, "v2", "", entity
            )
        )


def _is_http(call: ast.Call, facts: ModuleFacts) -> bool:
    kw = _kw(call, "type")
    return bool(kw and (facts.string(kw.value) or "").lower() == "httptrigger")
