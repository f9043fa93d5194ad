"""Two set-ups at once on one checkout, and the damage an interrupted one leaves.

Each case runs ``python -m devstack.bootstrap`` processes in a scratch checkout
(:func:`tests.unit.devstack.bootstrap.probes.project`) whose pins are a local wheel and a
local npm tarball, so nothing is downloaded. The test holds the checkout's set-up lock
while it starts both processes, so they really overlap; then lets them go. Sources:
flock(2) (an exclusive lock waits for its holder), ``npm ci`` (removes ``node_modules``
first: two at once clash, docs.npmjs.com/cli/commands/npm-ci).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devstack.bootstrap.lock import LOCK_NAME
from tests.support.waiting import eventually
from tests.unit.devstack.bootstrap.probes import offline_env, project

pytestmark = pytest.mark.slow  # a venv and an npm install: about ten seconds


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return project(tmp_path / "checkout")


@contextmanager
def held(root: Path) -> Iterator[None]:
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def start(root: Path, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    out = root.parent / f"{name}.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.bootstrap", *args],
            cwd=root,
            env=offline_env(root),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return process, out


def two_at_once(root: Path, *args: str) -> list[str]:
    """Both set-ups wait on the lock the test holds, then run one after the other."""
    with held(root):
        first, first_out = start(root, "first", *args)
        second, second_out = start(root, "second", *args)
        waiting = "another set-up of this checkout is running"
        eventually(lambda: all(waiting in out.read_text() for out in (first_out, second_out)))
    assert first.wait(300) == 0, first_out.read_text()
    assert second.wait(300) == 0, second_out.read_text()
    return first_out.read_text().splitlines() + second_out.read_text().splitlines()


def test_two_venv_set_ups_at_once_install_once(checkout: Path) -> None:
    lines = two_at_once(checkout, "venv", ".venv", "requirements-dev.txt")
    assert [line for line in lines if line.startswith("setup: installing")] == [
        "setup: installing requirements-dev.txt into .venv"
    ]
    assert sum("waiting for it" in line for line in lines) == 2
    assert "setup: pip (.venv): collected 1 (devux_probe-1.0-py3-none-any.whl)" in lines
    probe = subprocess.run(
        [
            str(checkout / ".venv" / "bin" / "python"),
            "-c",
            "import devux_probe as p; print(p.VERSION)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "1.0"


def test_a_venv_with_a_package_half_gone_is_repaired(checkout: Path) -> None:
    """Metadata without the files (an interrupted install) is not "installed": the next
    set-up reinstalls that package, which ``pip install -r`` alone would call satisfied."""
    setup = [sys.executable, "-m", "devstack.bootstrap", "venv", ".venv", "requirements-dev.txt"]
    env = offline_env(checkout)
    subprocess.run(setup, cwd=checkout, env=env, check=True, capture_output=True)
    (module,) = (checkout / ".venv").glob("lib/python*/site-packages/devux_probe/__init__.py")
    module.unlink()
    again = subprocess.run(setup, cwd=checkout, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "setup: .venv: reinstalling devux-probe==1.0 (files missing)" in again.stdout
    assert module.exists()
    quiet = subprocess.run(setup, cwd=checkout, env=env, capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")  # nothing to do


def test_two_npm_set_ups_at_once_install_once_and_an_emptied_one_is_redone(
    checkout: Path,
) -> None:
    lines = two_at_once(checkout, "node")
    assert [line for line in lines if line.startswith("setup: installing")] == [
        "setup: installing node_modules, 1 package from package-lock.json (npm ci)"
    ]
    assert "setup: npm: fetched 1/1 (devux-probe)" in lines  # progress shown
    manifest = checkout / "node_modules" / "devux-probe" / "package.json"
    assert manifest.exists()
    shutil.rmtree(checkout / "node_modules" / "devux-probe")  # what racing npm ci left
    (checkout / "node_modules" / ".installed").touch()  # the stamp that used to say "done"
    setup = [sys.executable, "-m", "devstack.bootstrap", "node"]
    again = subprocess.run(setup, cwd=checkout, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        "setup: installing node_modules, 1 package from package-lock.json (npm ci)" in again.stdout
    )
    assert manifest.exists()
