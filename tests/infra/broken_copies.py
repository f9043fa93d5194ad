"""Generated broken copies of infra/ and the workflows, to prove a check fails on what it claims.

A check that has never failed proves nothing. Each :class:`Breakage` is one edit of one file
(text replaced once, and the text must still be there, so a refactor cannot silently turn the
proof into a no-op); :func:`broken_trees` makes one copy of the tree per breakage, parses all
of them in a single run of the parser, and returns each copy's parsed Bicep and YAML.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.conftest import ROOT, parse_infra_copies


@dataclass(frozen=True)
class Breakage:
    """Replace ``old`` by ``new`` in ``file`` (and each pair of ``more`` after it); the check
    must then report ``expect``."""

    id: str
    file: str
    old: str
    new: str
    expect: str
    more: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BrokenCopy:
    """One copy with one breakage applied, parsed."""

    root: Path
    bicep: dict[str, Any]
    yaml: dict[str, Any]


def apply(root: Path, breakage: Breakage) -> None:
    """Apply one breakage to the copy under ``root``."""
    path = root / breakage.file
    text = path.read_text(encoding="utf-8")
    for old, new in ((breakage.old, breakage.new), *breakage.more):
        assert old in text, f"{breakage.id}: the text to break is gone: {old!r}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def broken_trees(base: Path, breakages: list[Breakage]) -> dict[str, BrokenCopy]:
    """One parsed copy of infra/ and .github/ per breakage, keyed by the breakage's id."""
    roots: dict[str, Path] = {}
    for breakage in breakages:
        root = base / breakage.id
        shutil.copytree(ROOT / "infra", root / "infra")
        shutil.copytree(ROOT / ".github", root / ".github")
        apply(root, breakage)
        roots[breakage.id] = root
    parsed = parse_infra_copies(list(roots.values()))
    return {
        key: BrokenCopy(
            root=root,
            bicep={p: v["tree"] for p, v in parsed[str(root)]["bicep"].items()},
            yaml=parsed[str(root)]["yaml"],
        )
        for key, root in roots.items()
    }
