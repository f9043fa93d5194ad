"""The whole scan on the public apps (the goals: recall >= 95 %, precision >= 90 % per kind)
and on bad input (one clear line per file, the scan goes on, the tree is only read)."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import pytest

from migrate.errors import UsageError
from migrate.scan.runner import scan
from tests.support import migrate_fixtures as mf
from tests.support.migrate_fixtures import bad_tree

RECALL_GOAL = 0.95
PRECISION_GOAL = 0.90


def test_recall_and_precision_per_kind_on_the_public_apps(tmp_path: Path) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    disagreements: list[str] = []
    for name in mf.names():
        app = mf.materialize(name, tmp_path / name)
        expected = {(e.kind, e.file, e.line): e for e in app.expected()}
        found = {(f.kind.value, f.file, f.line): f for f in scan(app.app_dir).findings}
        for key, item in expected.items():
            hit = found.get(key)
            counts[key[0], "tp" if hit else "fn"] += 1
            if hit and hit.service != item.service:
                disagreements.append(f"{name} {key}: service {hit.service} != {item.service}")
        for key in found.keys() - expected.keys():
            counts[key[0], "fp"] += 1
    for kind in ("code", "settings", "infra", "ci"):
        tp, fn, fp = counts[kind, "tp"], counts[kind, "fn"], counts[kind, "fp"]
        assert tp + fn, f"no {kind} finding is expected on any fixture"
        assert tp / (tp + fn) >= RECALL_GOAL, f"{kind}: recall {tp}/{tp + fn}"
        assert tp / (tp + fp) >= PRECISION_GOAL, f"{kind}: precision {tp}/{tp + fp}"
    assert disagreements == []


def test_each_finding_says_what_replaces_it_and_which_roles_it_needs(
    fixture_app: mf.Materialized,
) -> None:
    result = scan(fixture_app.app_dir)
    for finding in result.findings:
        assert finding.replacement
        assert finding.message
        assert finding.line >= 1
        if finding.rule == "MIG-SET-BINDING":
            assert finding.roles, f"{finding.file}:{finding.line} names no role"
            assert finding.docs.startswith("https://learn.microsoft.com/"), finding.docs


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_bad_input_is_one_line_per_file_and_the_scan_goes_on(tmp_path: Path) -> None:
    root, outside = tmp_path / "app", tmp_path / "outside"
    bad_tree(root, outside)
    before = _tree_hash(root), _tree_hash(outside)
    result = scan(root)
    problems = {p.file: p.reason for p in result.problems}
    assert set(problems) == {
        "blueprints/broken.py",
        "main.bicep",
        "local.settings.json",
        "big.py",
        "binary.py",
        "latin1.py",
        "linked.py",
        "linked_dir",
    }
    assert "not valid Python (line 1)" in problems["blueprints/broken.py"]
    assert "not valid Bicep" in problems["main.bicep"]
    assert "line 2" in problems["main.bicep"]
    assert "not valid JSON" in problems["local.settings.json"]
    assert "limit" in problems["big.py"]
    assert "binary" in problems["binary.py"]
    assert "not UTF-8" in problems["latin1.py"]
    assert "outside the scanned tree" in problems["linked.py"]
    assert "outside the scanned tree" in problems["linked_dir"]
    assert all("\n" not in reason for reason in problems.values())
    assert [(f.file, f.rule) for f in result.findings if f.kind.value == "code"] == [
        ("function_app.py", "MIG-CODE-CONNSTR")
    ]  # the good file was still read, and nothing behind the links was
    assert (_tree_hash(root), _tree_hash(outside)) == before


def test_a_path_that_is_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        scan(tmp_path / "missing")
    (tmp_path / "file.py").write_text("x = 1\n")
    with pytest.raises(UsageError, match="not a directory"):
        scan(tmp_path / "file.py")
