"""Reading the project's pins and judging a venv by what it has installed.

PEP 503 name normalisation (peps.python.org/pep-0503/#normalized-names); the installed
side is read with ``importlib.metadata`` and each distribution's ``RECORD``
(packaging.python.org/specifications/recording-installed-packages).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.bootstrap import pins
from devstack.runner import ROOT


def test_every_requirements_file_of_the_project_is_pinned_exactly() -> None:
    """The check compares versions; a line it cannot judge would be an error, so every line
    of the project's files must stay ``name==version`` (or ``-r``)."""
    dev = pins.read_pins(ROOT / "requirements-dev.txt")
    runtime = pins.read_pins(ROOT / "requirements.txt")
    assert runtime.items() <= dev.items()  # -r requirements.txt is followed
    assert dev["azure-functions"] == runtime["azure-functions"]
    assert "checkov" in pins.read_pins(ROOT / "requirements-infra.txt")


def test_a_range_is_refused_and_names_normalise(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("Azure_Storage.Blob[aio] == 1.2  # comment\n")
    assert pins.read_pins(path) == {"azure-storage-blob": "1.2"}
    path.write_text("requests>=2\n")
    with pytest.raises(pins.PinError, match="is not pinned as name==version"):
        pins.read_pins(path)


def test_missing_and_damaged_say_what_is_wrong() -> None:
    wanted = {"a": "1.0", "b": "2.0", "c": "3.0", "d": "4.0"}
    found = {"a": ("1.0", True), "b": ("1.9", True), "d": ("4.0", False)}
    assert pins.missing(wanted, found) == [
        "b==2.0 (1.9 installed)",
        "c==3.0 (not installed)",
        "d==4.0 (files missing)",
    ]
    assert pins.damaged(wanted, found) == ["d==4.0"]


def test_this_venv_holds_the_development_pins() -> None:
    """The tests run in the project's venv: looking at it finds every pin, files and all."""
    found = pins.installed(Path(sys.executable))
    assert pins.missing(pins.read_pins(ROOT / "requirements-dev.txt"), found) == []
