"""Walking the app's tree safely: which files to read, and a clear line for each one that
cannot be read.

The tree is untrusted input. Symbolic links are never followed (one pointing out of the tree
is reported: the scan reads nothing outside it), files over :data:`MAX_BYTES` and binary
files are reported and skipped, dependency and build directories are not entered. A file
is read once, as UTF-8; what does not decode is reported, not guessed at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from migrate.model import Problem

MAX_BYTES: Final = 2 * 1024 * 1024
#: Directories that hold dependencies, build output or tool state, not the app's source.
SKIPPED_DIRS: Final = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".python_packages",
        ".venv",
        "venv",
        ".venv-infra",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".devstack",
        "site-packages",
        "dist",
        "build",
        ".azure",
        ".terraform",
    }
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file the scanners may read: its path relative to the root and its text."""

    relative: str
    path: Path
    text: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.relative).name


def kind_of(relative: str) -> str | None:
    """Which scanner reads a file, by its name and place; None for files no scanner reads."""
    path = PurePosixPath(relative)
    name = path.name.lower()
    parts = [p.lower() for p in path.parts]
    if name.endswith(".py"):
        return "python"
    if name.endswith(".bicep"):
        return "bicep"
    if (name.endswith((".yml", ".yaml"))) and parts[:2] == [".github", "workflows"]:
        return "workflow"
    if name == "function.json":
        return "function-json"
    if name.startswith(("local.settings", "appsettings")) and ".json" in name:
        return "settings"
    if name.endswith(".json") and name not in {"host.json", "package.json", "package-lock.json"}:
        return "json"
    return None


def _is_venv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").exists()


def walk(root: Path) -> Iterator[SourceFile | Problem]:
    """Every file a scanner reads, or the one-line problem that kept it from being read."""
    root = root.resolve()
    for current, dirs, files in os.walk(root, followlinks=False, onerror=None):
        here = Path(current)
        kept = []
        for name in sorted(dirs):
            child = here / name
            if child.is_symlink():
                problem = _link_problem(root, child)
                if problem is not None:
                    yield problem
                continue
            if name in SKIPPED_DIRS or _is_venv(child):
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            relative = path.relative_to(root).as_posix()
            if kind_of(relative) is None:
                continue
            if path.is_symlink():
                problem = _link_problem(root, path)
                if problem is not None:
                    yield problem
                continue
            yield _read(path, relative)


def _link_problem(root: Path, link: Path) -> Problem | None:
    """A link out of the tree is reported; one inside it is skipped quietly (its target is
    scanned where it lives)."""
    relative = link.relative_to(root).as_posix()
    try:
        target = link.resolve(strict=False)
    except (OSError, RuntimeError):
        return Problem(relative, "symbolic link that cannot be resolved (a loop?): not followed")
    if target == root or root in target.parents:
        return None
    return Problem(relative, "symbolic link to outside the scanned tree: not followed")


def _read(path: Path, relative: str) -> SourceFile | Problem:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            mib = size / (1024 * 1024)
            return Problem(
                relative,
                f"{mib:.1f} MiB, over the {MAX_BYTES // (1024 * 1024)} MiB "
                "limit for a source file: not scanned (is it generated or data?)",
            )
        raw = path.read_bytes()
    except OSError as exc:
        return Problem(
            relative, f"cannot be read ({exc.strerror or type(exc).__name__}): not scanned"
        )
    if b"\0" in raw[:8192]:
        return Problem(relative, "binary content where text was expected: not scanned")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(relative, f"not UTF-8 text (byte {exc.start}): not scanned")
    return SourceFile(relative, path, text)
