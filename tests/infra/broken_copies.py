"""Generated broken copies of infra/ and the workflows, to prove a check fails on what it claims.

A check that has never failed proves nothing. Each :class:`Breakage` is one edit of one file
(text replaced once, and the text must still be there, so a refactor cannot silently turn the
proof into a no-op); :func:`broken_trees` writes the broken file of each breakage into a
folder of its own, parses all of them in a single run of the parser, and returns each copy:
the session's parse of the real tree with that one file replaced by its broken parse.
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


def broken_trees(
    base: Path, breakages: list[Breakage], original: dict[str, Any]
) -> dict[str, BrokenCopy]:
    """One parsed copy per breakage, keyed by its id; ``original`` is the session's ``dump``."""
    roots: dict[str, Path] = {}
    for breakage in breakages:
        root = base / breakage.id
        (root / breakage.file).parent.mkdir(parents=True)
        shutil.copy2(ROOT / breakage.file, root / breakage.file)
        apply(root, breakage)
        roots[breakage.id] = root
    parsed = parse_infra_copies(list(roots.values()))
    copies = {}
    for breakage in breakages:
        root = roots[breakage.id]
        bicep = {p: v["tree"] for p, v in original["bicep"].items()}
        bicep.update({p: v["tree"] for p, v in parsed[str(root)]["bicep"].items()})
        yaml = {**original["yaml"], **parsed[str(root)]["yaml"]}
        copies[breakage.id] = BrokenCopy(root=root, bicep=bicep, yaml=yaml)
    return copies
