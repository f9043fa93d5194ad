"""Where Azurite comes from: the project's node_modules in a checkout; for an installed
devstack, the lock it carries, installed once into the user's cache.

The lock is held against the project's own (the versions ``make setup`` installs and every
test runs on). The install runs here against stand-ins for ``node`` and ``npm`` on PATH
(small scripts that answer ``--version`` and lay out ``node_modules`` as ``npm ci`` does),
so each outcome is reached on purpose; the real ``npm ci`` from the shipped lock runs in
tests/products, where an installed devstack starts for the first time.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest

from devstack import azuriteinstall as ai
from devstack.errors import StackError
from devstack.runner import ROOT

FAKE_NPM = """#!{python}
import os, pathlib, sys, time
time.sleep(float(os.environ.get("FAKE_NPM_SECONDS", "0")))
calls = pathlib.Path(os.environ["FAKE_NPM_CALLS"])
with calls.open("a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
print("npm output for the log")
code = int(os.environ.get("FAKE_NPM_EXIT", "0"))
if code == 0 and pathlib.Path("package-lock.json").is_file():
    entry = pathlib.Path("node_modules/azurite/dist/src/azurite.js")
    entry.parent.mkdir(parents=True)
    entry.write_text("// azurite")
sys.exit(code)
"""
FAKE_NODE = """#!/bin/sh
echo {version}
"""


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only stand-ins for node (20) and npm; returns the bin directory."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_tool(bin_dir / "node", FAKE_NODE.format(version="v20.20.2"))
    write_tool(bin_dir / "npm", FAKE_NPM.format(python=sys.executable))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_NPM_CALLS", str(tmp_path / "npm-calls.txt"))
    return bin_dir


def write_tool(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def npm_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "npm-calls.txt"
    return calls.read_text().splitlines() if calls.exists() else []


def installed_entry(tmp_path: Path, lines: list[str] | None = None) -> Path:
    """An installed devstack's view: no lock beside the packages, a cache of its own."""
    announced = lines if lines is not None else []
    return ai.azurite_entry(
        root=tmp_path / "site", cache=tmp_path / "cache", announce=announced.append
    )


def test_the_shipped_lock_is_the_projects_azurite_to_the_integrity_hash() -> None:
    shipped = json.loads((ai.NODE_DIR / "package-lock.json").read_text())["packages"]
    project = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    declared = json.loads((ROOT / "package.json").read_text())["devDependencies"]["azurite"]
    assert ai.pinned_version() == declared == shipped["node_modules/azurite"]["version"]
    assert len(shipped) > 100, "Azurite's dependency tree is missing from the shipped lock"
    differ = [
        path
        for path, entry in shipped.items()
        if path
        and (entry.get("version"), entry.get("integrity"))
        != (project.get(path, {}).get("version"), project.get(path, {}).get("integrity"))
    ]
    assert differ == []


def test_a_checkout_uses_its_own_node_modules_and_says_how_to_fill_them(tmp_path: Path) -> None:
    assert ai.azurite_entry() == ROOT / ai.ENTRY
    (tmp_path / "package-lock.json").write_text("{}")
    with pytest.raises(StackError, match=r"run `make setup` \(npm ci\) first"):
        ai.azurite_entry(root=tmp_path, cache=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_the_first_start_installs_once_and_says_so(tmp_path: Path, tools: Path) -> None:
    lines: list[str] = []
    entry = installed_entry(tmp_path, lines)
    target = ai.install_dir(tmp_path / "cache")
    assert entry == target / ai.ENTRY
    assert entry.read_text() == "// azurite"
    assert lines == [
        f"installing Azurite {ai.pinned_version()} into {target} (npm ci, first start only) ..."
    ]
    assert npm_calls(tmp_path) == ["ci --prefer-offline --no-audit --no-fund --loglevel=error"]
    assert installed_entry(tmp_path) == entry
    assert len(npm_calls(tmp_path)) == 1, "the second start installed again"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [".install.lock", target.name]


@pytest.mark.slow
def test_two_first_starts_at_once_install_once(
    tmp_path: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in npm takes a second, so the second start comes while the first installs;
    it waits for the first's lock and finds Azurite there."""
    monkeypatch.setenv("FAKE_NPM_SECONDS", "1")
    entries: list[Path] = []
    starts = [threading.Thread(target=lambda: entries.append(installed_entry(tmp_path)))]
    starts.append(threading.Thread(target=lambda: entries.append(installed_entry(tmp_path))))
    for start in starts:
        start.start()
    for start in starts:
        start.join(timeout=60)
    assert len(entries) == 2
    assert entries[0] == entries[1]
    assert len(npm_calls(tmp_path)) == 1


def test_a_failed_npm_ci_leaves_nothing_to_mistake_for_azurite(
    tmp_path: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NPM_EXIT", "3")
    with pytest.raises(StackError) as failed:
        installed_entry(tmp_path)
    target = ai.install_dir(tmp_path / "cache")
    log = target.parent / f"{target.name}.npm.log"
    assert str(failed.value) == (
        f"npm ci could not install Azurite {ai.pinned_version()} (exit 3; its output: {log}): "
        "check that the npm registry is reachable, then run devstack up again"
    )
    assert "npm output for the log" in log.read_text()
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".staging")] == []
    monkeypatch.delenv("FAKE_NPM_EXIT")
    assert installed_entry(tmp_path).is_file()
    assert not log.exists()


def test_an_interrupted_npm_ci_says_so(
    tmp_path: Path, tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NPM_EXIT", "130")  # npm's exit on Ctrl-C
    with pytest.raises(StackError, match="was interrupted: start again"):
        installed_entry(tmp_path)


@pytest.mark.parametrize(
    ("node", "npm", "expected"),
    [
        (None, True, "node is not on PATH: Azurite needs Node.js 20 or newer (with npm)"),
        ("v18.19.1", True, "is v18.19.1: install Node.js 20"),
        ("not a version", True, "is not a version: install Node.js 20"),
        ("v20.20.2", False, "npm is not on PATH: Azurite is installed with npm"),
    ],
)
def test_without_node_20_and_npm_the_start_says_what_to_install(
    tmp_path: Path, tools: Path, node: str | None, npm: bool, expected: str
) -> None:
    if node is None:
        (tools / "node").unlink()
    else:
        write_tool(tools / "node", FAKE_NODE.format(version=node))
    if not npm:
        (tools / "npm").unlink()
    with pytest.raises(StackError) as failed:
        installed_entry(tmp_path)
    assert expected in str(failed.value)
    assert "\n" not in str(failed.value)
    assert npm_calls(tmp_path) == []
