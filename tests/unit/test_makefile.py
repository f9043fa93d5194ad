"""Set-up checks the interpreter first, rebuilds a venv another Python made, shows pip's
output when it fails, builds only what a target needs, and ``make clean`` removes the venvs.

Each case runs ``make`` in a copy of the Makefile and the set-up code with empty
requirements and pip kept off the network (``PIP_NO_INDEX``), so nothing is downloaded;
``PYTHON`` points at this interpreter or at a fake one that reports 3.9. Two set-ups at
once are tested in tests/unit/devstack/bootstrap/.
"""

from __future__ import annotations

import os
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
    shutil.copytree(
        ROOT / "devstack" / "bootstrap",
        tmp_path / "devstack" / "bootstrap",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (tmp_path / "devstack" / "__init__.py").write_text("")
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
        env={**os.environ, "PIP_NO_INDEX": "1"},
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


def test_a_venv_made_by_another_python_is_rebuilt(project: Path) -> None:
    fake_python(project / ".venv" / "bin" / "python")
    (project / ".venv" / ".installed").touch()  # the stamp earlier set-ups trusted
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
    assert not (project / ".venv" / ".installed").exists()
    again = make(project, ".venv/.installed", f"PYTHON={sys.executable}")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")  # all there: silent


def test_pip_output_is_shown_when_it_fails(project: Path) -> None:
    (project / "requirements-dev.txt").write_text("no-such-package-anywhere==1.0\n")
    result = make(project, ".venv/.installed", f"PYTHON={sys.executable}")
    assert result.returncode != 0
    assert "No matching distribution found for no-such-package-anywhere==1.0" in result.stderr
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


def test_run_and_bench_do_not_build_the_infra_venv(project: Path) -> None:
    """checkov's venv serves the infra tests only: ``make run`` and ``make bench`` (whose rows
    read no template) leave it alone; ``make setup`` builds it."""
    for target in ("run", "bench"):
        planned = make(project, "-n", target, f"PYTHON={sys.executable}")
        assert "devstack.bootstrap venv .venv requirements-dev.txt" in planned.stdout
        assert "devstack.bootstrap node" in planned.stdout
        assert ".venv-infra" not in planned.stdout
    assert ".venv-infra" in make(project, "-n", "setup", f"PYTHON={sys.executable}").stdout
