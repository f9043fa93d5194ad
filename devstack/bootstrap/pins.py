"""What a requirements file pins, and whether a venv has exactly that installed.

The project pins every dependency as ``name==version`` (``-r`` includes other files). A venv
has them when each pinned distribution is installed at that version *and* the files its
``RECORD`` lists are there: an install interrupted half-way leaves metadata without files,
which a stamp file would have called installed. The venv is inspected by its own Python
(``importlib.metadata``), in one short process.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*(?P<version>\S+)$")
_SEPARATORS = re.compile(r"[-_.]+")


class PinError(ValueError):
    """A requirements line this check cannot judge (not ``name==version`` or ``-r``)."""


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return _SEPARATORS.sub("-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """``canonical name -> version`` of ``path`` and the files it includes with ``-r``."""
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            pins.update(read_pins(path.parent / line.split(None, 1)[1]))
            continue
        match = _PIN.match(line)
        if match is None:
            raise PinError(f"{path}: {line!r} is not pinned as name==version")
        pins[canonical(match["name"])] = match["version"]
    return pins


#: Run by the venv's Python: every distribution, its version and whether its files are there.
_INSPECT = """
import importlib.metadata as m, json, os, sys
found = {}
for dist in m.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    base = str(dist.locate_file(""))
    paths = [line.split(",", 1)[0] for line in (dist.read_text("RECORD") or "").splitlines()]
    whole = all(
        os.path.exists(os.path.join(base, path)) for path in paths
        if path and not path.endswith(".pyc")
    )
    found[name] = [dist.version, whole]
json.dump(found, sys.stdout)
"""


def installed(python: Path) -> dict[str, tuple[str, bool]]:
    """``canonical name -> (version, all its files present)`` in the venv of ``python``."""
    result = subprocess.run(
        [str(python), "-c", _INSPECT], capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        return {}
    document = json.loads(result.stdout or "{}")
    return {canonical(name): (str(v[0]), bool(v[1])) for name, v in document.items()}


def missing(pins: dict[str, str], found: dict[str, tuple[str, bool]]) -> list[str]:
    """The pins the venv does not hold, each as ``name==version`` with what is there instead."""
    wrong = []
    for name, version in sorted(pins.items()):
        have = found.get(name)
        if have is None:
            wrong.append(f"{name}=={version} (not installed)")
        elif have[0] != version:
            wrong.append(f"{name}=={version} ({have[0]} installed)")
        elif not have[1]:
            wrong.append(f"{name}=={version} (files missing)")
    return wrong


def damaged(pins: dict[str, str], found: dict[str, tuple[str, bool]]) -> list[str]:
    """``name==version`` of the pins installed at their version with files missing: pip
    calls them satisfied, so they are reinstalled by name."""
    return [
        f"{name}=={version}"
        for name, version in sorted(pins.items())
        if found.get(name) == (version, False)
    ]
