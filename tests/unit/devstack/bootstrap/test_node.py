"""``node_modules/`` judged package by package against ``package-lock.json``.

The lock file's ``packages`` map (lockfileVersion 2 and 3: docs.npmjs.com/cli/configuring-
npm/package-lock-json#packages): each ``node_modules/<name>`` key with its ``version``;
``optional`` packages may be skipped by npm on a platform they do not support.
"""

from __future__ import annotations

import json
from pathlib import Path

from devstack.bootstrap import node
from devstack.runner import ROOT


def _lock(root: Path) -> None:
    packages = {
        "": {"name": "x"},
        "node_modules/azurite": {"version": "3.35.0", "dev": True},
        "node_modules/azurite/node_modules/tslib": {"version": "2.6.2", "dev": True},
        "node_modules/fsevents": {"version": "2.3.3", "optional": True, "os": ["darwin"]},
    }
    (root / "package-lock.json").write_text(
        json.dumps({"lockfileVersion": 3, "packages": packages})
    )


def _install(root: Path, path: str, version: str) -> None:
    (root / path).mkdir(parents=True, exist_ok=True)
    (root / path / "package.json").write_text(json.dumps({"version": version}))


def test_an_empty_node_modules_is_not_installed(tmp_path: Path) -> None:
    """What two racing ``npm ci`` left behind: the folder, nothing in it."""
    _lock(tmp_path)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / ".installed").touch()  # the old stamp, still there
    assert node.missing(tmp_path) == [
        "azurite@3.35.0 (not installed)",
        "tslib@2.6.2 (not installed)",
    ]


def test_every_locked_package_at_its_version_is_installed(tmp_path: Path) -> None:
    _lock(tmp_path)
    _install(tmp_path, "node_modules/azurite", "3.35.0")
    _install(tmp_path, "node_modules/azurite/node_modules/tslib", "2.6.1")
    assert node.missing(tmp_path) == ["tslib@2.6.2"]
    _install(tmp_path, "node_modules/azurite/node_modules/tslib", "2.6.2")
    assert node.missing(tmp_path) == []  # the optional darwin-only package may be absent


def test_the_projects_node_modules_is_complete() -> None:
    """The stack's Azurite: every package the project locks is there."""
    assert node.locked_packages(ROOT)
    assert node.missing(ROOT) == []
