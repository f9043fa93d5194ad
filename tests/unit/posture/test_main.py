"""``python -m posture``: the CI gate's exit codes, one rule at a time, formats."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import jsonschema

from devstack.runner import ROOT
from posture.report.schema import REPORT_SCHEMA
from tests.support import secret_shapes as ss


def _cli(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "posture", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_gate_exits_1_on_a_failure_at_the_threshold_and_0_below_it() -> None:
    keyed = ss.storage_connection_string_planted(random.Random("cli")).text
    seeded = {"AzureWebJobsStorage": keyed}
    gate = _cli("--format", "json", "--fail-on", "high", extra_env=seeded)
    assert gate.returncode == 1, gate.stderr
    assert "RT-CONN-KEYED" in gate.stderr
    report = json.loads(gate.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert keyed not in gate.stdout + gate.stderr
    assert _cli("--fail-on", "critical", extra_env=seeded).returncode == 0
    clean = _cli("--format", "html", "--fail-on", "info")
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.startswith("<!DOCTYPE html>")


def test_cli_runs_one_rule_and_names_an_unknown_one() -> None:
    one = _cli("--format", "json", "--rule", "RT-CRED-FALLBACK")
    assert [r["id"] for r in json.loads(one.stdout)["results"]] == ["RT-CRED-FALLBACK"]
    unknown = _cli("--rule", "NOPE")
    assert unknown.returncode == 2
    assert "NOPE" in unknown.stderr
