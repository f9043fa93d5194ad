"""Check every resource body and module call in parsed Bicep against what ARM will accept.

The trees come from pycep-parser (the parser checkov uses), which keeps keys and values but
not positions and drops the quotes of string literals; the source text is read alongside to
name a line and to tell a literal ('Disabled') from a reference (deployerPrincipalType).

What is checked, and what cannot be:

- each resource's `type@apiVersion` must be one ``arm_schema`` knows, and the installed SDK
  package must model exactly that version; `existing` resources too (ARM reads them with it);
- every key of the body, at every depth, must be a property of that version's schema
  (Bicep's own keys `name`, `parent`, `scope`, `dependsOn` aside); a read-only property is a
  finding too, since ARM ignores or rejects it;
- literal values are held to the property's type, and string literals to its enum;
- expressions (parameters, function calls, interpolations) cannot be evaluated offline: their
  values are skipped, but both branches of a `cond ? {...} : {...}` are checked, and so is the
  body of every `[for ...]` loop;
- a module call may pass only parameters the module declares, must pass the ones without a
  default, and may read only outputs it declares. Registry modules (`br/public:...`) cannot be
  fetched offline: their interface is recorded in ``REGISTRY_MODULES`` from the module's
  published source, and a module or version not recorded there is a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from tests.infra import arm_schema, graph_schema
from tests.infra import bicep_model as bm

BICEP_RESOURCE_KEYS = {"name", "parent", "scope", "dependsOn"}
BICEP_MODULE_KEYS = {"name", "scope", "params", "dependsOn"}


@dataclass(frozen=True)
class RegistryModule:
    """A registry module's interface, recorded from its published source."""

    params: frozenset[str]
    required: frozenset[str]
    outputs: frozenset[str]
    source: str


# Azure Verified Modules used by the template. Source: the module's main.bicep at the
# version's tag in github.com/Azure/bicep-registry-modules (0.4.1's parameters: name
# (required), location, federatedIdentityCredentials, lock, roleAssignments, tags,
# enableTelemetry; its outputs: name, resourceId, principalId, clientId, resourceGroupName,
# location).
REGISTRY_MODULES: dict[str, RegistryModule] = {
    "avm/res/managed-identity/user-assigned-identity:0.4.1": RegistryModule(
        params=frozenset(
            {
                "name",
                "location",
                "federatedIdentityCredentials",
                "lock",
                "roleAssignments",
                "tags",
                "enableTelemetry",
            }
        ),
        required=frozenset({"name"}),
        outputs=frozenset(
            {"name", "resourceId", "principalId", "clientId", "resourceGroupName", "location"}
        ),
        source=(
            "https://github.com/Azure/bicep-registry-modules/blob/main/avm/res/"
            "managed-identity/user-assigned-identity/main.bicep (tag 0.4.1)"
        ),
    ),
}


@dataclass(frozen=True)
class Finding:
    """One place ARM would refuse (or silently drop) what the template says."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class Source:
    """Line lookups in one Bicep file's text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def declaration(self, keyword: str, symbol: str) -> int:
        pattern = re.compile(rf"^\s*{keyword}\s+{re.escape(symbol)}\s")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return number
        return 1

    def key_line(self, start: int, keys: list[str]) -> int:
        """The line of a key path below a declaration: each key searched after the last."""
        current = start
        for key in keys:
            pattern = re.compile(rf"^\s*(?:'{re.escape(key)}'|{re.escape(key)})\s*:")
            for number in range(current, len(self.lines) + 1):
                if pattern.match(self.lines[number - 1]):
                    current = number
                    break
        return current

    def quotes(self, line: int, value: str) -> bool:
        """Whether that line holds the value as a string literal ('Disabled'), not a name."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return f"'{value}'" in text


def is_expression(value: Any) -> bool:
    return isinstance(value, dict) and ("operator" in value or "function" in value)


def is_loop(value: Any) -> bool:
    return isinstance(value, dict) and "loop_type" in value


class _ResourceWalk:
    """Walks one resource body against its shape, collecting findings."""

    def __init__(self, path: str, source: Source, start: int, label: str) -> None:
        self.path, self.source, self.start, self.label = path, source, start, label
        self.findings: list[Finding] = []

    def add(self, keys: list[str], message: str) -> None:
        line = self.source.key_line(self.start, keys)
        self.findings.append(Finding(self.path, line, f"{self.label}: {message}"))

    def obj(self, value: dict[str, Any], shape: arm_schema.Shape, keys: list[str]) -> None:
        for raw_key, item in value.items():
            key = raw_key.strip("'")
            if "${" in key:
                continue  # an interpolated key: only known at deployment
            found = shape.get(key)
            dotted = ".".join([*keys, key])
            if found is None:
                if not shape.open:
                    self.add([*keys, key], f"unknown property '{dotted}' ({shape.name})")
                continue
            if found.read_only:
                self.add([*keys, key], f"'{dotted}' is read-only: ARM ignores or rejects it")
                continue
            self.value(item, found, [*keys, key])

    def value(self, value: Any, field: arm_schema.Field, keys: list[str]) -> None:
        if value is None or field.kind in ("any", "object"):
            return
        if is_expression(value):
            operator = value.get("operator", {})
            if operator.get("type") == "conditional":
                operands = operator.get("operands", {})
                self.value(operands.get("true_value"), field, keys)
                self.value(operands.get("false_value"), field, keys)
            return
        if is_loop(value):
            if field.kind != "list":
                self.add(keys, f"'{'.'.join(keys)}' expects {field.kind}, got a [for] list")
                return
            self.value(value.get("config"), _element(field), keys)
            return
        if isinstance(value, dict):
            self._object_value(value, field, keys)
        elif isinstance(value, list):
            if field.kind != "list":
                self.add(keys, f"'{'.'.join(keys)}' expects {field.kind}, got an array")
                return
            for item in value:
                self.value(item, _element(field), keys)
        elif isinstance(value, bool):
            if field.kind != "bool":
                self.add(keys, f"'{'.'.join(keys)}' expects {field.kind}, got a bool")
        elif isinstance(value, int | float):
            if field.kind not in ("int", "float"):
                self.add(keys, f"'{'.'.join(keys)}' expects {field.kind}, got a number")
        elif isinstance(value, str):
            self._string_value(value, field, keys)

    def _object_value(
        self, value: dict[str, Any], field: arm_schema.Field, keys: list[str]
    ) -> None:
        if field.kind == "model" and field.shape is not None:
            self.obj(value, field.shape, keys)
        elif field.kind == "dict":
            for item in value.values():
                self.value(item, _element(field), keys)
        else:
            self.add(keys, f"'{'.'.join(keys)}' expects {field.kind}, got an object")

    def _string_value(self, value: str, field: arm_schema.Field, keys: list[str]) -> None:
        if not keys or "${" in value:
            return
        line = self.source.key_line(self.start, keys)
        if not self.source.quotes(line, value):
            return  # a reference to a parameter, variable or loop item
        dotted = ".".join(keys)
        if field.kind != "str":
            self.add(keys, f"'{dotted}' expects {field.kind}, got the string '{value}'")
        elif field.enum and value.lower() not in {e.lower() for e in field.enum}:
            allowed = ", ".join(sorted(field.enum))
            self.add(keys, f"'{dotted}' = '{value}' is not one of: {allowed}")


def _element(field: arm_schema.Field) -> arm_schema.Field:
    return arm_schema.Field(field.item_kind or "any", target=field.target, enum=field.enum)


def check_resources(path: str, tree: dict[str, Any], text: str) -> list[Finding]:
    """Every resource of one file against its schema."""
    source = Source(text)
    findings: list[Finding] = []
    for symbol, resource in tree.get("resources", {}).items():
        start = source.declaration("resource", symbol)
        type_, version = resource["type"], resource["api_version"]
        label = f"{symbol} ({type_}@{version})"
        body = bm.body(resource)
        if type_.startswith("Microsoft.Graph/"):  # the Graph extension's, not ARM's
            for problem in graph_schema.problems(type_, version, body):
                findings.append(Finding(path, start, f"{symbol}: {problem}"))
            continue
        name = body.get("name") if isinstance(body.get("name"), str) else None
        ref = arm_schema.lookup(type_, version, name)
        if ref is None:
            known = arm_schema.known_versions(type_)
            why = (
                f"API version {version} is not one the schema table knows ({', '.join(known)})"
                if known
                else "resource type unknown to the schema table (add its SDK model)"
            )
            if arm_schema.is_named_type(type_) and known and version in known:
                why = f"no schema for a {type_} named '{name}'"
            findings.append(Finding(path, start, f"{label}: {why}"))
            continue
        modelled = arm_schema.modelled_api_version(ref.models)
        if modelled != version:
            findings.append(
                Finding(path, start, f"{label}: {ref.models} models {modelled}, not {version}")
            )
            continue
        if resource.get("existing"):
            extra = sorted(set(body) - {"name", "parent", "scope"})
            if extra:
                findings.append(Finding(path, start, f"{label}: an existing resource sets {extra}"))
            continue
        walk = _ResourceWalk(path, source, start, label)
        shape = arm_schema.shape_of(ref)
        walk.obj({k: v for k, v in body.items() if k not in BICEP_RESOURCE_KEYS}, shape, [])
        findings.extend(walk.findings)
    return findings


def _accessor(node: Any) -> tuple[Any, Any] | None:
    """The two operands of an `a.b` expression, or None."""
    if isinstance(node, dict) and isinstance(node.get("operator"), dict):
        operator = node["operator"]
        if operator.get("type") == "property_accessor":
            operands = operator.get("operands", {})
            return operands.get("operand_1"), operands.get("operand_2")
    return None


def _module_reads(node: Any) -> Iterator[tuple[str, str]]:
    """Every `<symbol>.outputs.<name>` read in an expression tree.

    pycep nests the chain to the right (`identity.(outputs.clientId)`), or to the left when
    the chain goes on (`x.outputs.y.z`): both are read.
    """
    pair = _accessor(node)
    if pair is not None:
        first, second = pair
        right, left = _accessor(second), _accessor(first)
        if isinstance(first, str) and right and right[0] == "outputs":
            name = right[1] if isinstance(right[1], str) else (_accessor(right[1]) or ("",))[0]
            if isinstance(name, str) and name:
                yield first, name
        if left and isinstance(left[0], str) and left[1] == "outputs" and isinstance(second, str):
            yield left[0], second
    if isinstance(node, dict):
        for value in node.values():
            yield from _module_reads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _module_reads(value)


@dataclass(frozen=True)
class _Interface:
    params: frozenset[str]
    required: frozenset[str]
    outputs: frozenset[str]


def _interface(
    path: str, module: dict[str, Any], trees: dict[str, dict[str, Any]]
) -> _Interface | str:
    """The called module's parameters and outputs, or why they cannot be known."""
    detail = module["detail"]
    if module["type"] == "local":
        target = str(PurePosixPath(path).parent / detail["path"])
        tree = trees.get(target)
        if tree is None:
            return f"module file {target} not found"
        params = tree.get("parameters", {})
        return _Interface(
            params=frozenset(params),
            required=frozenset(n for n, p in params.items() if p.get("default") is None),
            outputs=frozenset(tree.get("outputs", {})),
        )
    key = f"{detail.get('path')}:{detail.get('tag')}"
    recorded = REGISTRY_MODULES.get(key)
    if recorded is None:
        return (
            f"registry module {detail.get('full', key)} cannot be resolved offline and its "
            "interface is not recorded in REGISTRY_MODULES"
        )
    return _Interface(recorded.params, recorded.required, recorded.outputs)


def check_modules(
    path: str, tree: dict[str, Any], text: str, trees: dict[str, Any]
) -> list[Finding]:
    """Module calls of one file: parameters passed and outputs read."""
    source = Source(text)
    findings: list[Finding] = []
    interfaces: dict[str, _Interface] = {}
    for symbol, module in tree.get("modules", {}).items():
        start = source.declaration("module", symbol)
        body = bm.body(module)
        interface = _interface(path, module, trees)
        if isinstance(interface, str):
            findings.append(Finding(path, start, f"module {symbol}: {interface}"))
            continue
        interfaces[symbol] = interface
        for key in sorted(set(body) - BICEP_MODULE_KEYS):
            line = source.key_line(start, [key])
            findings.append(Finding(path, line, f"module {symbol}: '{key}' is not a module key"))
        passed = {k.strip("'") for k in (body.get("params") or {})}
        for name in sorted(passed - interface.params):
            line = source.key_line(start, ["params", name])
            findings.append(
                Finding(path, line, f"module {symbol}: the module has no parameter '{name}'")
            )
        for name in sorted(interface.required - passed):
            findings.append(
                Finding(path, start, f"module {symbol}: required parameter '{name}' not passed")
            )
    seen: set[tuple[str, str]] = set()
    for symbol, output in _module_reads(tree):
        if symbol in interfaces and output not in interfaces[symbol].outputs:
            if (symbol, output) in seen:
                continue
            seen.add((symbol, output))
            line = next(
                (
                    n
                    for n, text_line in enumerate(source.lines, start=1)
                    if f"{symbol}.outputs.{output}" in text_line
                ),
                1,
            )
            findings.append(
                Finding(path, line, f"module {symbol}: the module has no output '{output}'")
            )
    return findings


def check_all(trees: dict[str, dict[str, Any]], texts: dict[str, str]) -> list[Finding]:
    """Every resource and module call of every parsed file."""
    findings: list[Finding] = []
    for path, tree in sorted(trees.items()):
        findings += check_resources(path, tree, texts[path])
        findings += check_modules(path, tree, texts[path], trees)
    return findings


def checked_resources(trees: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(file, symbol, type@version) of every resource the check walks."""
    return [
        (path, symbol, f"{r['type']}@{r['api_version']}")
        for path, tree in sorted(trees.items())
        for symbol, r in tree.get("resources", {}).items()
    ]
