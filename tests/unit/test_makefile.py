"""Set-up checks the interpreter first, rebuilds a venv another Python made, keeps pip quiet
unless it fails, and ``make clean`` removes the venvs.

Each case runs ``make`` in a copy of the Makefile with empty requirements, so nothing is
downloaded; ``PYTHON`` points at this interpreter or at a fake one that reports 3.9.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.runner import ROOT

pytestmark = pytest.mark.slow  # each venv takes a few seconds

NEEDED = "Python 3.11 is needed"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-infra.txt"):
        (tmp_path / name).write_text("")
    return tmp_path


def fake_python(path: Path, version: str = "3.9.18") -> Path:
    """An interpreter that answers every question with ``version``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_wrong_interpreter_is_named_in_one_line(project: Path) -> None:
    fake = fake_python(project / "python3.9")
    result = make(project, ".venv/.installed", f"PYTHON={fake}")
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.startswith("setup:")]
    assert ours == [
        f"setup: {NEEDED}, but '{fake}' is Python 3.9.18; install Python 3.11 or run "
        "make PYTHON=/path/to/python3.11"
    ]
    assert not (project / ".venv").exists()
    missing = make(project, ".venv/.installed", "PYTHON=/no/such/python")
    assert f"setup: {NEEDED}, but '/no/such/python' does not run" in missing.stderr


def test_a_venv_made_by_another_python_is_rebuilt_and_pip_stays_quiet(project: Path) -> None:
    fake_python(project / ".venv" / "bin" / "python")
    (project / ".venv" / ".installed").touch()  # newer than the requirements: looks done
    result = make(project, ".venv/.installed", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"setup: .venv was made by Python 3.9.18; rebuilding it with {sys.executable}",
        "setup: installing requirements-dev.txt into .venv",
    ]
    assert result.stderr == ""  # pip's chatter went to .venv/pip.log
    rebuilt = subprocess.run(
        [
            str(project / ".venv" / "bin" / "python"),
            "-c",
            "import sys; print(sys.version_info[:2])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert rebuilt.stdout.strip() == "(3, 11)"
    again = make(project, ".venv/.installed", f"PYTHON={sys.executable}")
    assert "is up to date" in again.stdout


def test_pip_output_is_shown_when_it_fails(project: Path) -> None:
    (project / "requirements-dev.txt").write_text("./no-such-directory\n")
    result = make(project, ".venv/.installed", f"PYTHON={sys.executable}")
    assert result.returncode != 0
    assert "no-such-directory" in result.stderr  # pip's own words
    assert (
        "setup: pip could not install requirements-dev.txt into .venv (output above, also in "
        ".venv/pip.log)" in result.stderr
    )


def test_clean_removes_the_venvs(project: Path) -> None:
    for venv in (".venv", ".venv-infra"):
        fake_python(project / venv / "bin" / "python", "3.11.7")
    (project / ".devstack").mkdir()
    assert make(project, "clean").returncode == 0
    assert not (project / ".venv").exists()
    assert not (project / ".venv-infra").exists()
    assert not (project / ".devstack").exists()
