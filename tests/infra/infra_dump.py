"""Parse every Bicep and YAML file the infra tests look at, and print the trees as JSON.

Runs under `.venv-infra/bin/python` (pycep-parser and PyYAML live there, beside checkov), not
under the project's main venv: the tests start it once per session and read its output, so
the test process itself needs neither package.

Usage: infra_dump.py ROOT  ->  {"bicep": {path: {"tree": ...} | {"error": ...}},
                                "yaml": {path: data | {"__error__": ...}}}
       infra_dump.py ROOT ROOT...  ->  {ROOT: <the same>, ...}: generated broken copies are
       parsed in one process, since starting the parser is most of the cost.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

YAML_FILES = ("azure.yaml",)
YAML_DIRS = (".github/workflows",)


#: Bicep's ``extension <alias>`` statement (the Microsoft Graph extension), alone on its line.
EXTENSION = re.compile(r"^extension\s+(\w+)[ \t]*$", re.MULTILINE)


def without_extensions(text: str) -> tuple[str, list[str]]:
    """``text`` with each ``extension`` statement blanked (its line kept, so line numbers
    hold), and the extension aliases. pycep-parser 0.5.1 predates the statement and refuses
    the whole file over it; nothing else in the file is touched."""
    names = EXTENSION.findall(text)
    return EXTENSION.sub("", text), names


def parse_bicep(root: Path) -> dict[str, dict[str, Any]]:
    """Parse each .bicep file under infra/; a failure is recorded, not raised. A file's
    ``extension`` statements are set aside first and listed as the tree's ``extensions``."""
    pycep = importlib.import_module("pycep")
    parser = pycep.BicepParser()
    trees: dict[str, dict[str, Any]] = {}
    for path in sorted((root / "infra").rglob("*.bicep")):
        rel = path.relative_to(root).as_posix()
        text, extensions = without_extensions(path.read_text(encoding="utf-8"))
        try:
            tree = parser.parse(text=text)
        except Exception as exc:  # any parser failure is a finding
            trees[rel] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        tree["extensions"] = extensions
        trees[rel] = {"tree": tree}
    return trees


def load_yaml(root: Path) -> dict[str, Any]:
    """Load azure.yaml and the workflows; YAML's `on:` key becomes the string 'on'."""
    yaml = importlib.import_module("yaml")
    paths = [root / name for name in YAML_FILES]
    for folder in YAML_DIRS:
        paths.extend(sorted((root / folder).glob("*.y*ml")))
    data: dict[str, Any] = {}
    for path in paths:
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except Exception as exc:
            data[rel] = {"__error__": f"{type(exc).__name__}: {exc}"}
            continue
        if isinstance(loaded, dict) and True in loaded:
            loaded["on"] = loaded.pop(True)
        data[rel] = loaded
    return data


def dump(root: Path) -> dict[str, Any]:
    return {"bicep": parse_bicep(root), "yaml": load_yaml(root)}


def main(argv: list[str]) -> int:
    roots = argv[1:]
    if len(roots) == 1:
        json.dump(dump(Path(roots[0]).resolve()), sys.stdout, default=str)
    else:
        json.dump({r: dump(Path(r).resolve()) for r in roots}, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
