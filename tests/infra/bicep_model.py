"""Small helpers over pycep-parser's JSON trees of our Bicep files.

pycep gives every expression as nested dicts (`{"operator": {...}}`, `{"function": {...}}`)
and drops the quotes of string literals. The tests only need a few shapes, so instead of a
full evaluator this module renders simple expressions back to Bicep-like text
(`jobsStorage.outputs.name`, `roleIds[role]`) and walks resources, loops and parents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Tree = dict[str, Any]


def render(node: Any) -> str:
    """Bicep-like text of an accessor/identifier expression; other shapes render as '<...>'."""
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, str | int):
        return str(node)
    if isinstance(node, dict) and "operator" in node:
        op = node["operator"]
        a, b = op.get("operands", {}).get("operand_1"), op.get("operands", {}).get("operand_2")
        if op["type"] == "property_accessor":
            return f"{render(a)}.{render(b)}"
        if op["type"] == "nested_resource_accessor":
            return f"{render(a)}::{render(b)}"
        if op["type"] == "index_accessor":
            return f"{render(a)}[{render(b)}]"
        return f"<{op['type']}>"
    if isinstance(node, dict) and "function" in node:
        return f"<{node['function'].get('type')}()>"
    return "<?>"


def body(resource: Tree) -> Tree:
    """The resource's own properties, looking through a `[for ...]` loop or an `if`."""
    config: Tree = resource["config"]
    if "loop_type" in config or ("condition" in config and "config" in config):
        inner: Tree = config["config"]
        return inner
    return config


def loop_array(resource: Tree) -> str | None:
    """Name of the array a `[for x in array: ...]` resource loops over, if it loops."""
    loop = resource["config"].get("loop_type")
    if not loop:
        return None
    name: str | None = loop["detail"].get("array_name")
    return name


def condition(resource: Tree) -> Any:
    """The deploy condition (`if (...)`) of a resource, or None."""
    return resource["config"].get("condition")


def resources_of_type(tree: Tree, type_: str) -> Iterator[tuple[str, Tree]]:
    """Declared (not `existing`) resources of one type, by symbolic name."""
    for symbol, resource in tree.get("resources", {}).items():
        if resource["type"] == type_ and not resource.get("existing"):
            yield symbol, resource


def get(mapping: Any, *path: str) -> Any:
    """Follow a key path through nested dicts; None when any step is missing."""
    for key in path:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def unquote_keys(mapping: dict[str, Any]) -> dict[str, Any]:
    """pycep keeps the quotes of quoted object keys ('Storage Blob Data Owner'): drop them."""
    return {key.strip("'"): value for key, value in mapping.items()}


def identifiers(node: Any) -> set[str]:
    """Every bare string leaf of an expression (identifiers and literals alike)."""
    found: set[str] = set()
    if isinstance(node, str):
        found.add(node)
    elif isinstance(node, dict):
        for value in node.values():
            found |= identifiers(value)
    elif isinstance(node, list):
        for value in node:
            found |= identifiers(value)
    return found
