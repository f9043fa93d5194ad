"""The command line: exit codes, one-line errors, --help, and the leak canary over every
output it writes (stdout, stderr, each report format, every file fix writes).

The canary searches for each secret the fixtures were given, in every encoding a careless
line would use (tests/support/canary.py), and for the whole secret-bearing values.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.runner import ROOT
from tests.support import canary
from tests.support import migrate_fixtures as mf


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_names_the_three_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("scan", "fix", "verify"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scan", "does-not-exist"), "does not exist"),
        (("fix", "tests", "--out", "tests/out"), "inside the input tree"),
        (("verify", "does-not-exist"), "not a directory"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("migrate: ") and "..." not in line
    ]
    assert len(lines) == 1
    assert message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_scan_exits_1_on_findings_and_0_when_the_gate_is_above_them(tmp_path: Path) -> None:
    app = mf.materialize("list-resource-groups", tmp_path / "app")  # one low finding
    assert run("scan", str(app.app_dir)).returncode == 1
    assert run("scan", str(app.app_dir), "--fail-on", "medium").returncode == 0
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "function_app.py").write_text("import azure.functions as func\n")
    assert run("scan", str(clean)).returncode == 0


def test_fix_refuses_an_out_that_holds_files(tmp_path: Path) -> None:
    app = mf.materialize("uptime-monitor", tmp_path / "app")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run("fix", str(app.app_dir), "--out", str(out))
    assert result.returncode == 2
    assert "not an empty directory" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["yokawasa-v2functions", "data-cleaning-pipeline"])
def test_no_output_of_scan_or_fix_holds_a_secret_the_app_held(tmp_path: Path, name: str) -> None:
    app = mf.materialize(name, tmp_path / "app")
    assert app.secrets, "the fixture must hold secrets for this test to mean anything"
    searched: dict[str, str] = {}
    for fmt in ("text", "json", "sarif"):
        result = run("scan", str(app.app_dir), "--format", fmt)
        searched[f"scan {fmt} stdout"] = result.stdout
        searched[f"scan {fmt} stderr"] = result.stderr
        if fmt == "json":
            json.loads(result.stdout)
    out = tmp_path / "out"
    result = run("fix", str(app.app_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    searched["fix stdout"], searched["fix stderr"] = result.stdout, result.stderr
    for path in out.rglob("*"):
        if path.is_file():
            searched[str(path.relative_to(out))] = path.read_text(errors="replace")
    assert len(searched) > 10
    assert canary.leaks(app.secrets.values(), searched) == []
    # the canary itself can fail: the input holds the secrets
    held = {str(p): p.read_text() for p in app.app_dir.rglob("*") if p.is_file()}
    assert canary.leaks(app.secrets.values(), held) != []
