"""A venv with the pinned requirements: made by Python 3.11, holding exactly the pins.

A venv another interpreter made (or whose interpreter no longer runs) is removed and made
again; pip runs only when the venv lacks a pin (:mod:`.pins`), or the venv is new, and its
progress is shown as counted lines while its whole output goes to ``<venv>/pip.log``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from devstack.bootstrap import pins
from devstack.bootstrap.progress import Progress, run_logged

NEEDED = "3.11"
PIP_FLAGS = ("--disable-pip-version-check", "--no-input", "--progress-bar", "off")
#: pip's line for each package it takes: from an index, or a local file (``--find-links``).
_COLLECTING = re.compile(r"^(?:Collecting|Processing) (?P<what>\S+)")
_INSTALLING = re.compile(r"^Installing collected packages: (?P<names>.*)$")


class SetupError(RuntimeError):
    """Set-up cannot finish; the message names the cause and the fix, in one line."""


def python_version(python: Path | str) -> str:
    """``major.minor`` of an interpreter, or "" when it does not run."""
    try:
        result = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def _rebuild(venv: Path, python: str, have: str, say: Callable[[str], None]) -> None:
    if venv.exists() or venv.is_symlink():
        made_by = f"Python {have}" if have else "an interpreter that no longer runs"
        say(f"setup: {venv} was made by {made_by}; rebuilding it with {python}")
        shutil.rmtree(venv, ignore_errors=True)
    if subprocess.run([python, "-m", "venv", str(venv)], check=False).returncode != 0:
        raise SetupError(f"setup: {python} -m venv {venv} failed (output above)")


def _pip_install(
    venv: Path, requirements: Path, say: Callable[[str], None], *, repair: list[str]
) -> None:
    say(f"setup: installing {requirements} into {venv}")
    progress = Progress(f"setup: pip ({venv})")
    started = time.monotonic()

    def on_line(line: str) -> None:
        if match := _COLLECTING.match(line):
            progress.step(os.path.basename(match["what"]), "collected")
        elif match := _INSTALLING.match(line):
            count = len([n for n in match["names"].split(",") if n.strip()])
            noun = "package" if count == 1 else "packages"
            progress.show(f"setup: pip ({venv}): installing {count} {noun}", force=True)

    log = venv / "pip.log"
    argv = [str(venv / "bin" / "python"), "-m", "pip", "install", *PIP_FLAGS]
    code = 0
    if repair:  # installed, but with files missing: pip would call them satisfied
        say(f"setup: {venv}: reinstalling {', '.join(repair)} (files missing)")
        code = run_logged(
            [*argv, "--force-reinstall", "--no-deps", *repair], log=log, on_line=on_line
        )
    if code == 0:
        code = run_logged([*argv, "-r", str(requirements)], log=log, on_line=on_line, append=True)
    progress.done()
    if code != 0:
        sys.stderr.write(log.read_text(encoding="utf-8", errors="replace"))
        raise SetupError(
            f"setup: pip could not install {requirements} into {venv} (output above, also in {log})"
        )
    if progress.count:
        say(f"setup: {venv} ready ({time.monotonic() - started:.0f} s)")


def ensure_venv(venv: Path, requirements: Path, *, python: str, say: Callable[[str], None]) -> None:
    """Make ``venv`` hold ``requirements``; do nothing when it already does."""
    have = python_version(venv / "bin" / "python")
    fresh = have != NEEDED
    if fresh:
        _rebuild(venv, python, have, say)
    wanted = pins.read_pins(requirements)
    interpreter = venv / "bin" / "python"
    found = {} if fresh else pins.installed(interpreter)
    if not fresh and not pins.missing(wanted, found):
        return
    _pip_install(venv, requirements, say, repair=pins.damaged(wanted, found))
    left = pins.missing(wanted, pins.installed(interpreter))
    if left:
        raise SetupError(
            f"setup: {venv} still lacks {', '.join(left[:3])}"
            + (f" and {len(left) - 3} more" if len(left) > 3 else "")
            + f" after pip ran (see {venv / 'pip.log'}); `make clean` then `make setup` "
            "starts over"
        )
    for stale in (venv / ".installed",):  # the stamp earlier set-ups wrote; nothing reads it
        if stale.exists():
            os.unlink(stale)
