"""Copying the input tree to ``--out``: never following a link, never carrying a secret.

The copy is what every fixer edits, so the input is never opened for writing. Links are
not copied (one out of the tree is reported; one inside it is the same file as its target,
which is copied where it lives); dependency and tool directories are left out as the scan
leaves them out. Every text file is searched for secret-shaped values
(shared/redaction/shapes.py) and each one found is replaced by a marker naming its kind, so no
secret of the input reaches the copy even in a file no fixer understands.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from migrate.errors import OutputError, UsageError
from migrate.fix.report import Change, FixReport
from migrate.tree import MAX_BYTES, SKIPPED_DIRS
from shared.redaction.shapes import scan as secret_shapes

MARKER = "<secret removed by migrate: rotate it, {kind}>"


def check_paths(source: Path, out: Path) -> tuple[Path, Path]:
    """Resolved paths; refuses an --out inside the input (or the input inside --out) and an
    --out that holds files, so nothing outside --out is written and nothing is overwritten."""
    if not source.is_dir():
        raise UsageError(f"{source} is not a directory: give the app's directory")
    src = source.resolve()
    dst = out.resolve()
    if dst == src or src in dst.parents:
        raise UsageError(
            f"--out {out} is inside the input tree: choose a directory outside {source}"
        )
    if dst in src.parents:
        raise UsageError(f"the input {source} is inside --out {out}: choose another --out")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise OutputError(f"--out {out} exists and is not an empty directory: give a new one")
    return src, dst


def blank_secrets(text: str) -> tuple[str, list[str]]:
    """``text`` with every secret-shaped value replaced by a marker; the kinds replaced."""
    found = [f for f in secret_shapes(text) if f.is_secret]
    for item in reversed(found):
        text = text[: item.start] + MARKER.format(kind=item.kind) + text[item.end :]
    return text, [item.kind for item in found]


def copy(src: Path, dst: Path, report: FixReport) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for current, dirs, files in os.walk(src, followlinks=False):
        here = Path(current)
        target_dir = dst / here.relative_to(src)
        kept = []
        for name in sorted(dirs):
            child = here / name
            if child.is_symlink():
                report.skipped.append(Change(child.relative_to(src).as_posix(), "a symbolic link"))
            elif name not in SKIPPED_DIRS and not (child / "pyvenv.cfg").exists():
                kept.append(name)
        dirs[:] = kept
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            path = here / name
            relative = path.relative_to(src).as_posix()
            if path.is_symlink():
                report.skipped.append(Change(relative, "a symbolic link"))
                continue
            _copy_file(path, target_dir / name, relative, report)


def _copy_file(path: Path, target: Path, relative: str, report: FixReport) -> None:
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_BYTES else None
    except OSError as exc:
        report.skipped.append(Change(relative, f"cannot be read ({exc.strerror or 'error'})"))
        return
    if raw is None or b"\0" in raw[:8192]:
        shutil.copyfile(path, target)  # large or binary: copied unread (not a source file)
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        shutil.copyfile(path, target)
        return
    cleaned, kinds = blank_secrets(text)
    target.write_bytes(cleaned.encode("utf-8"))
    if kinds:
        report.redacted.append(Change(relative, ", ".join(sorted(set(kinds)))))
