"""``python -m posture``: the CI gate's exit codes, what it names, formats, waivers, baselines."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

from devstack.runner import ROOT
from posture.report.schema import REPORT_SCHEMA
from tests.support import secret_shapes as ss

LOADED = {"AzureWebJobsStorage__blobServiceUri": "https://sthost.blob.core.windows.net/"}


def _cli(
    *args: str, extra_env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "posture", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_cli_gate_exits_1_on_a_failure_at_the_threshold_and_0_below_it() -> None:
    keyed = ss.storage_connection_string_planted(random.Random("cli")).text
    seeded = {**LOADED, "AzureWebJobsStorage": keyed}
    gate = _cli("--format", "json", "--fail-on", "high", "--rule", "RT-CONN-KEYED",
                "--rule", "RT-CRED-FALLBACK", extra_env=seeded)  # fmt: skip
    assert gate.returncode == 1, gate.stderr
    assert "RT-CONN-KEYED (high) fail" in gate.stderr
    report = json.loads(gate.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert keyed not in gate.stdout + gate.stderr
    below = _cli("--fail-on", "critical", "--rule", "RT-CONN-KEYED", extra_env=seeded)
    assert below.returncode == 0, below.stderr


def test_an_unloaded_environment_fails_the_gate_naming_what_is_missing() -> None:
    blind = _cli("--format", "html", "--fail-on", "high")
    assert blind.returncode == 1
    assert blind.stdout.startswith("<!DOCTYPE html>")
    assert "the app's environment is not loaded (unset: " in blind.stderr
    assert "KEY_VAULT_URI" in blind.stderr
    assert "RT-ENV-SECRETS (critical) unknown" in blind.stderr
    assert "STG-SHAREDKEY (high) unknown: no subscription to inspect" in blind.stderr
    assert "ENT-APP-SECRETS (high) unknown: Microsoft Graph rules are off" in blind.stderr


@pytest.mark.slow
def test_waivers_accept_a_gap_and_an_expired_one_fails(tmp_path: Path) -> None:
    def waivers(days: int) -> Path:
        path = tmp_path / f"w{days}.toml"
        path.write_text(
            '[[waiver]]\nrule = "RT-AI-AUTH"\nscope = "*"\nreason = "telemetry is not wired yet"\n'
            f'owner = "team@example.org"\nexpires = {date.today() + timedelta(days=days)}\n',
            encoding="utf-8",
        )
        return path

    ai = {**LOADED, "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x"}
    failing = _cli("--fail-on", "medium", "--rule", "RT-AI-AUTH", extra_env=ai)
    assert failing.returncode == 1
    accepted = _cli("--fail-on", "medium", "--rule", "RT-AI-AUTH", "--format", "json",
                    "--waivers", str(waivers(30)), extra_env=ai)  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    (result,) = json.loads(accepted.stdout)["results"]
    assert (result["status"], result["waiver"]["owner"]) == ("fail", "team@example.org")
    expired = _cli("--fail-on", "medium", "--rule", "RT-AI-AUTH", "--waivers",
                   str(waivers(-1)), extra_env=ai)  # fmt: skip
    assert expired.returncode == 1
    assert "waiver for RT-AI-AUTH (scope *, owner team@example.org) expired on" in expired.stderr


def test_a_default_waivers_file_in_the_directory_is_read_and_a_bad_one_is_a_usage_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "posture-waivers.toml").write_text('[[waiver]]\nrule = "NOPE"\n', encoding="utf-8")
    bad = _cli("--rule", "RT-CRED-FALLBACK", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert "posture-waivers.toml, waiver 1: scope, reason, owner, expires missing" in bad.stderr


@pytest.mark.slow
def test_sarif_and_junit_are_formats_of_the_cli() -> None:
    sarif = _cli("--format", "sarif", "--rule", "RT-CRED-FALLBACK", extra_env=LOADED)
    assert json.loads(sarif.stdout)["version"] == "2.1.0"
    junit = _cli("--format", "junit", "--rule", "RT-CRED-FALLBACK", extra_env=LOADED)
    assert junit.stdout.startswith("<?xml")
    assert "<testsuites" in junit.stdout


def test_a_baseline_runs_its_rules_whatever_rule_says() -> None:
    run = _cli("--format", "json", "--rule", "RT-CRED-FALLBACK", "--baseline", "secretless-core",
               extra_env=LOADED)  # fmt: skip
    ids = {r["id"] for r in json.loads(run.stdout)["results"]}
    assert {"RT-CRED-FALLBACK", "STG-SHAREDKEY", "ENT-APP-SECRETS"} <= ids
    assert "STG-TLS" not in ids


@pytest.mark.slow
def test_cli_runs_one_rule_and_names_an_unknown_one_or_baseline() -> None:
    one = _cli("--format", "json", "--rule", "RT-CRED-FALLBACK", extra_env=LOADED)
    assert [r["id"] for r in json.loads(one.stdout)["results"]] == ["RT-CRED-FALLBACK"]
    unknown = _cli("--rule", "NOPE")
    assert unknown.returncode == 2
    assert "NOPE" in unknown.stderr
    baseline = _cli("--baseline", "strict")
    assert baseline.returncode == 2
    assert "no baseline strict" in baseline.stderr
