"""What a Python module says about names: imports, string constants, environment reads, and
which names hold what those reads returned.

The code scanner judges calls; to judge ``BlobServiceClient.from_connection_string(conn)``
it needs to know that ``conn`` came from ``os.environ["AzureWebJobsStorage"]``, and that
``_SETTING`` in ``os.environ[_SETTING]`` is the constant ``"MyStorageConnectionString"``.
This is a deliberately small data flow: module and function scopes are merged by name, and
only direct assignments are followed (``x = os.getenv(...)``, ``x = os.getenv(...) or ""``,
``x = os.getenv(...).strip()``). It errs towards linking, which only ever adds a service to
a read the scan reports anyway.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

APPSETTING_PREFIX = "APPSETTING_"
_GETENV = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_ENVIRON = "os.environ"


@dataclass(slots=True)
class EnvRead:
    """One read of an app setting: ``os.environ[...]``, ``os.getenv(...)``, ``.get(...)``."""

    setting: str
    line: int
    services: set[str] = field(default_factory=set)  # what the value flowed into

    @property
    def name(self) -> str:
        """The setting's name as Functions knows it (``APPSETTING_X`` is X)."""
        if self.setting.startswith(APPSETTING_PREFIX):
            return self.setting[len(APPSETTING_PREFIX) :]
        return self.setting


@dataclass(slots=True)
class ModuleFacts:
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    constants: dict[str, str] = field(default_factory=dict)  # NAME -> "literal"
    reads: dict[int, EnvRead] = field(default_factory=dict)  # id(node) -> read
    holders: dict[str, list[EnvRead]] = field(default_factory=dict)  # name -> reads it holds
    docstrings: set[int] = field(default_factory=set)  # id() of docstring constants
    #: Every node of the module, walked once: each rule pass iterates this list.
    nodes: list[ast.AST] = field(default_factory=list)

    def qualified(self, node: ast.expr) -> str | None:
        """``os.environ.get`` for ``environ.get`` after ``from os import environ``."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def string(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def env_read(self, node: ast.AST) -> EnvRead | None:
        """The read ``node`` is, or wraps (``.strip()``, ``or ""``, ``str(...)``)."""
        while True:
            if id(node) in self.reads:
                return self.reads[id(node)]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                node = node.func.value  # os.getenv("X").strip()
            elif isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name):
                node = node.args[0]  # str(os.getenv("X"))
            elif isinstance(node, ast.BoolOp) and node.values:
                node = node.values[0]
            else:
                return None

    def reads_in(self, node: ast.AST) -> list[EnvRead]:
        """Reads an expression passes on: direct ones and those held by names it uses."""
        found: list[EnvRead] = []
        for child in ast.walk(node):
            read = self.env_read(child) if isinstance(child, ast.expr) else None
            if read is not None:
                found.append(read)
            if isinstance(child, ast.Name):
                found.extend(self.holders.get(child.id, ()))
            elif isinstance(child, ast.Attribute):
                found.extend(self.holders.get("." + child.attr, ()))
        return found


def _docstrings(nodes: list[ast.AST]) -> set[int]:
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def collect(tree: ast.Module) -> ModuleFacts:
    nodes = list(ast.walk(tree))
    facts = ModuleFacts(docstrings=_docstrings(nodes), nodes=nodes)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                facts.imports[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                facts.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    facts.constants[target.id] = node.value.value
    for node in nodes:
        setting = _read_setting(node, facts)
        if setting is not None:
            facts.reads[id(node)] = EnvRead(setting, getattr(node, "lineno", 0))
    for node in nodes:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            targets, value = [node.target], node.value
        if value is None:
            continue
        read = facts.env_read(value)
        if read is None:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                facts.holders.setdefault(target.id, []).append(read)
            elif isinstance(target, ast.Attribute):
                facts.holders.setdefault("." + target.attr, []).append(read)
    return facts


def _read_setting(node: ast.AST, facts: ModuleFacts) -> str | None:
    if isinstance(node, ast.Call) and node.args and facts.qualified(node.func) in _GETENV:
        return facts.string(node.args[0])
    if isinstance(node, ast.Subscript) and facts.qualified(node.value) == _ENVIRON:
        return facts.string(node.slice)
    return None
