"""Reading import statements from the syntax tree: what a module imports, on which line,
relative imports resolved (the dependency checks of tests/unit/test_dependencies.py and
tests/unit/shared/test_packages.py read them the same way)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from devstack.runner import ROOT


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in ``source``, relative ones resolved."""
    package = module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            yield node.lineno, base
            for alias in node.names:  # "from blueprints import jobs" imports blueprints.jobs
                yield node.lineno, f"{base}.{alias.name}"
