"""Which local stack verify starts: this interpreter's devstack when its extra is installed
here, else a ``devstack`` command on PATH (never this environment's own, which lacks the
stack's dependencies), else one line saying what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from migrate.errors import VerifyError
from migrate.verify import stack


def fake_command(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    command = directory / "devstack"
    command.write_text("#!/bin/sh\nexit 0\n")
    command.chmod(0o755)
    return command


@pytest.fixture
def without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "missing_requirements", lambda product: ["starlette"])


def test_a_checkout_runs_its_own_devstack_with_this_interpreter() -> None:
    assert stack.devstack_command() == [sys.executable, "-m", "devstack"]


def test_without_the_extra_a_devstack_on_path_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, without_the_extra: None
) -> None:
    elsewhere = fake_command(tmp_path / "tools")
    monkeypatch.setenv("PATH", str(elsewhere.parent))
    assert stack.devstack_command() == [str(elsewhere)]


def test_this_environments_own_devstack_script_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, without_the_extra: None
) -> None:
    fake_command(tmp_path / "venv" / "bin")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "venv" / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "venv" / "bin"))
    with pytest.raises(VerifyError) as refused:
        stack.devstack_command()
    (line,) = str(refused.value).splitlines()
    assert line.startswith("verify runs the app on the local stack, which is not installed here")
    assert "pip install 'secretless-functions[devstack] @ " in line
