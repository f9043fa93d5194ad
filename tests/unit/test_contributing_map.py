"""docs/contributing.md names every module: the map cannot go stale without this failing.

Each directory of the mapped packages that holds a module has a ``### `dir/` `` heading in
"The map", and each module (every ``.py`` file but an empty ``__init__.py``) a row of that
heading's table whose first cell is its file name in backticks. A module without a row
fails, and so does a row (or a heading) whose module is gone; the failure prints the rows to
add, each with the first sentence of the module's docstring to start from.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from devstack.runner import ROOT

MAP = ROOT / "docs" / "contributing.md"
MAPPED = ("shared", "blueprints", "posture", "devstack", "migrate", "bench", "smoke")
_HEADING = re.compile(r"^### `([^`]+/)`\s*$")
_ROW = re.compile(r"^\|\s*`([^`]+\.py)`\s*\|")


def code_modules(root: Path = ROOT) -> dict[str, set[str]]:
    """Directory (``shared/outbound/``) -> the names of its modules."""
    found: dict[str, set[str]] = {}
    for top in MAPPED:
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else []:
            if "__pycache__" in path.parts or not path.read_text(encoding="utf-8").strip():
                continue
            directory = path.parent.relative_to(root).as_posix() + "/"
            found.setdefault(directory, set()).add(path.name)
    return found


def mapped_modules(text: str) -> dict[str, set[str]]:
    """Heading directory -> the module names of its table, as the map lists them."""
    found: dict[str, set[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = heading.group(1)
            found.setdefault(current, set())
        elif line.startswith("## "):
            current = None
        elif current is not None and (row := _ROW.match(line)):
            found[current].add(row.group(1))
    return found


def first_sentence(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    paragraph = " ".join(docstring.split("\n\n")[0].split())
    match = re.match(r"(.+?[.:;])(\s|$)", paragraph)
    return (match.group(1) if match else paragraph).rstrip(".:;").replace("|", "\\|")


def differences(code: dict[str, set[str]], mapped: dict[str, set[str]], root: Path = ROOT) -> str:
    """What to add to and remove from the map, as a contributor would paste it; empty when
    the map names every module and nothing else."""
    lines: list[str] = []
    for directory in sorted(code):
        missing = sorted(code[directory] - mapped.get(directory, set()))
        if not missing:
            continue
        if directory not in mapped:
            lines += ["", f"### `{directory}`  (a new heading and table)", "",
                      "| module | what it holds |", "|---|---|"]  # fmt: skip
        else:
            lines += ["", f"under ### `{directory}`:"]
        lines += [f"| `{name}` | {first_sentence(root / directory / name)} |" for name in missing]
    gone = [
        f"  ### `{directory}`: `{name}`"
        for directory in sorted(mapped)
        for name in sorted(mapped[directory] - code.get(directory, set()))
    ]
    gone += [f"  ### `{d}` (no module left)" for d in sorted(set(mapped) - set(code))]
    if not lines and not gone:
        return ""
    text = "docs/contributing.md (The map) must name every module, and only modules that exist."
    if lines:
        text += "\nAdd these rows (start from the docstring; say what the module holds):" + (
            "\n".join(lines)
        )
    if gone:
        text += "\nRemove these rows, their modules are gone:\n" + "\n".join(gone)
    return text


def test_the_map_names_every_module_and_only_those() -> None:
    code = code_modules()
    assert sum(len(names) for names in code.values()) > 200, "too few modules found"
    problems = differences(code, mapped_modules(MAP.read_text(encoding="utf-8")))
    assert not problems, problems


def test_the_check_says_which_rows_to_add_and_remove(tmp_path: Path) -> None:
    """A generated tree and map: a new module, a new directory and a removed module."""
    package = tmp_path / "shared"
    (package / "fresh").mkdir(parents=True)
    (package / "__init__.py").write_text('"""The library."""\n')
    (package / "kept.py").write_text('"""What is kept. More words."""\n')
    (package / "added.py").write_text('"""A module nobody mapped yet; it says why."""\n')
    (package / "fresh" / "__init__.py").write_text("")
    (package / "fresh" / "thing.py").write_text('"""A thing in a new directory."""\n')
    text = (
        "## The map\n\n### `shared/`\n\n| module | what it holds |\n|---|---|\n"
        "| `__init__.py` | x |\n| `kept.py` | x |\n| `gone.py` | x |\n\n## Before you push\n"
    )
    found = differences(code_modules(tmp_path), mapped_modules(text), tmp_path)
    assert "under ### `shared/`:\n| `added.py` | A module nobody mapped yet |" in found
    assert "### `shared/fresh/`  (a new heading and table)" in found
    assert "| `thing.py` | A thing in a new directory |" in found
    assert "### `shared/`: `gone.py`" in found
    assert "kept.py" not in found
    fixed = text.replace("| `gone.py` | x |\n", "| `added.py` | x |\n") + (
        "\n## The map, again\n\n### `shared/fresh/`\n\n|---|---|\n| `thing.py` | x |\n"
    )
    assert differences(code_modules(tmp_path), mapped_modules(fixed), tmp_path) == ""


HOST_SECTION = "## The devstack host and its bindings"
_CODE = re.compile(r"`([^`\s]+)`")


def host_section(text: str) -> str:
    start = text.index(HOST_SECTION)
    end = text.index("\n## ", start + len(HOST_SECTION))
    return text[start:end]


def defined_names(root: Path) -> set[str]:
    """Classes, functions and ``Class.member`` names defined in the modules under ``root``."""
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        names.add(f"{node.name}.{item.name}")
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        names.add(f"{node.name}.{item.target.id}")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return names


def unknown_references(section: str, root: Path) -> list[str]:
    """Module files and code names the section cites that ``root``'s code does not have."""
    names = defined_names(root)
    found = []
    for token in _CODE.findall(section):
        if token.endswith(".py"):
            if not any((base / token).is_file() for base in (root, root.parent, ROOT)):
                found.append(token)
        elif re.fullmatch(r"[A-Z][A-Za-z]+(\.\w+)?", token) and token not in names:
            found.append(token)  # a class, or Class.member
    return found


def test_the_host_section_cites_modules_and_names_that_exist() -> None:
    section = host_section(MAP.read_text(encoding="utf-8"))
    assert "Invoker._settle" in section, "where a return value becomes an output binding"
    assert "messageEncoding" in section, "where the queue message encoding is decided"
    assert unknown_references(section, ROOT / "devstack" / "host") == []


def test_the_host_section_check_names_a_renamed_function() -> None:
    section = "see `Invoker._finish` in `invocation.py` and `bindings/gone.py`"
    assert unknown_references(section, ROOT / "devstack" / "host") == [
        "Invoker._finish",
        "bindings/gone.py",
    ]
