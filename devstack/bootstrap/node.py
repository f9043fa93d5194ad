"""``node_modules/`` as ``package-lock.json`` pins it, checked package by package.

Installed means: every package the lock file lists under ``node_modules/`` has its
``package.json`` there with the locked version (an optional package npm skipped on this
platform may be absent). An ``npm ci`` that was interrupted, or raced by another one, leaves
packages missing, and the next set-up runs ``npm ci`` again (it starts from an empty
``node_modules/``). npm's progress is shown as the count of packages fetched; its output
goes to ``node_modules/.npm-ci.log`` (kept outside when npm fails to create the folder).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from devstack.bootstrap.progress import Progress, run_logged
from devstack.bootstrap.venv import SetupError

NPM_FLAGS = ("--no-audit", "--no-fund", "--loglevel=http")
#: npm's ``--loglevel=http`` line for one package's tarball: fetched, or from its cache.
_FETCH = re.compile(
    r"^npm http (?:fetch GET 200 \S*/-/(?P<tarball>[^/\s]+)\.tgz"
    r"|cache (?P<cached>\S+?)@\S*\.tgz)"
)


def locked_packages(root: Path) -> dict[str, tuple[str, bool]]:
    """``node_modules/... -> (version, optional)`` from ``package-lock.json`` (v2/v3)."""
    document = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    packages = document.get("packages", {})
    return {
        path: (str(entry.get("version", "")), bool(entry.get("optional")))
        for path, entry in packages.items()
        if path.startswith("node_modules/") and not entry.get("link")
    }


def missing(root: Path) -> list[str]:
    """Locked packages that are not installed at their version."""
    wrong = []
    for path, (version, optional) in sorted(locked_packages(root).items()):
        manifest = root / path / "package.json"
        try:
            found = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            found = None
        if found == version or (found is None and optional):
            continue
        name = path.rsplit("node_modules/", 1)[-1]
        wrong.append(f"{name}@{version}" + (" (not installed)" if found is None else ""))
    return wrong


def ensure_node_modules(root: Path, *, say: Callable[[str], None]) -> None:
    """Run ``npm ci`` unless every locked package is installed."""
    if not missing(root):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("setup: npm is not on PATH: install Node.js 20 (with npm), then run again")
    total = len(locked_packages(root))
    noun = "package" if total == 1 else "packages"
    say(f"setup: installing node_modules, {total} {noun} from package-lock.json (npm ci)")
    progress = Progress("setup: npm", total=total)
    started = time.monotonic()

    def on_line(line: str) -> None:
        if match := _FETCH.search(line):
            progress.step(match["tarball"] or match["cached"], "fetched")

    log = root / ".npm-ci.log"
    code = run_logged([npm, "ci", *NPM_FLAGS], log=log, on_line=on_line, cwd=root)
    progress.done()
    if code != 0:
        sys.stderr.write(log.read_text(encoding="utf-8", errors="replace")[-6000:])
        raise SetupError(f"setup: npm ci failed (output above, also in {log})")
    left = missing(root)
    if left:
        raise SetupError(
            f"setup: node_modules still lacks {', '.join(left[:3])} after npm ci (see {log}); "
            "`make clean` then `make setup` starts over"
        )
    (root / "node_modules" / ".installed").unlink(missing_ok=True)  # earlier set-ups' stamp
    say(f"setup: node_modules ready ({time.monotonic() - started:.0f} s)")
