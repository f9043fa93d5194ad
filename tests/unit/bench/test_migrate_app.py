"""The generated app of P12: the size asked for, and every planted finding reported by a scan
(so the benchmark times a scan that works, on code that parses)."""

from __future__ import annotations

import ast
from pathlib import Path

from bench.migrate_app import generate
from migrate.scan.runner import scan


def test_the_generated_app_has_the_size_asked_and_every_plant_is_found(tmp_path: Path) -> None:
    planted = generate(tmp_path / "app", files=120, seed=4)
    files = [p for p in (tmp_path / "app").rglob("*") if p.is_file()]
    assert len(files) == 120
    for path in files:
        if path.suffix == ".py":
            ast.parse(path.read_text())
    assert {kind for kind, _, _ in planted} == {"code", "infra"}
    result = scan(tmp_path / "app")
    found = {(f.kind.value, f.file, f.line) for f in result.findings}
    assert set(planted) == found
    assert result.problems == []
