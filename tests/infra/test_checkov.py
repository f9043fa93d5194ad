"""checkov finds nothing wrong with infra/, and every skipped check is explained.

The run uses infra/.checkov.yaml, the one place where checks may be skipped, each with its
reason. checkov parses Bicep with the same parser as test_bicep_parse.py; a file it could
not parse would be left out of its report, so parsing errors fail here too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra.conftest import CHECKOV_CONFIG, INFRA

# Every test here reads one checkov run over infra/ (about 9 s, made once per session).
pytestmark = pytest.mark.slow


def test_checkov_reports_no_failed_check(checkov_report: dict[str, Any]) -> None:
    failed = checkov_report["results"].get("failed_checks", [])
    described = [
        f"{c['check_id']} {c['check_name']} on {c['resource']} ({c['file_path']})" for c in failed
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(described)


def test_checkov_parsed_every_file_and_checked_something(
    checkov_report: dict[str, Any], bicep: dict[str, Any]
) -> None:
    """checkov's parser (pycep-parser 0.5.1) predates Bicep's ``extension`` statement and
    leaves out a file that has one: those may fail, and no other. They hold Microsoft Graph
    resources alone (the dump parses them with the statement set aside), for which checkov
    has no check; tests/infra/test_graph_resources.py holds them instead."""
    summary = checkov_report["summary"]
    with_extension = {path for path, tree in bicep.items() if tree.get("extensions")}
    assert summary["parsing_errors"] == len(with_extension), with_extension
    for path in with_extension:
        types = {r["type"] for r in bicep[path].get("resources", {}).values()}
        assert types, path
        assert all(t.startswith("Microsoft.Graph/") for t in types), (path, types)
    # A run that checks nothing passes vacuously; make sure it really looked.
    assert summary["passed"] >= 20, summary
    assert summary["resource_count"] >= 30, summary


def test_no_check_crashed(checkov_report: dict[str, Any]) -> None:
    # A check that raises is dropped from the report without a word in the summary.
    crashed = re.findall(r"Failed to run check (\S+) on (\S+)", checkov_report["stderr"])
    assert not crashed, f"checks that crashed (so were not applied): {crashed}"


def test_skips_live_only_in_the_config_file_each_with_a_reason() -> None:
    inline = [
        p.name
        for p in INFRA.rglob("*")
        if p.is_file() and "checkov:skip" in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not inline, f"inline checkov skips (put them in {CHECKOV_CONFIG.name}): {inline}"

    lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    skips = [(i, line) for i, line in enumerate(lines) if re.match(r"\s*-\s*CKV", line)]
    assert skips, "no skip list found; if nothing is skipped, delete this test's skip part"
    for i, line in skips:
        has_own_reason = "#" in line
        has_reason_above = any(lines[j].strip().startswith("#") for j in range(max(0, i - 8), i))
        assert has_own_reason or has_reason_above, f"skip without a reason: {line.strip()}"
