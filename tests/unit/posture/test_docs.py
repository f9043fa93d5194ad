"""docs/posture.md lists every rule as registered: id, severity, what it reads, permission, fix."""

from __future__ import annotations

import re

import pytest

from devstack.runner import ROOT
from posture.model import Rule, all_rules
from shared.settings import declared_settings

DOC = (ROOT / "docs" / "posture.md").read_text(encoding="utf-8")


def _section(rule_id: str) -> str:
    match = re.search(rf"^### {re.escape(rule_id)}\n(.*?)(?=^##|\Z)", DOC, re.M | re.S)
    assert match, f"docs/posture.md has no section for {rule_id}"
    return match.group(1)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_each_rule_has_a_section_matching_the_registry(rule: Rule) -> None:
    section = _section(rule.id)
    assert f"Severity **{rule.severity.value}**" in section
    assert f"- Reads: {rule.reads}." in section
    assert f"- Needs: {rule.permission}." in section
    assert f"- Fix: {rule.remediation}" in section
    assert f"| [{rule.id}](#{rule.id.lower()}) | {rule.severity.value} |" in DOC


def test_no_rule_is_documented_that_is_not_registered() -> None:
    documented = set(re.findall(r"^### ([A-Z]+(?:-[A-Z0-9]+)+)$", DOC, re.M))
    assert documented == {rule.id for rule in all_rules()}


def test_every_posture_setting_is_documented() -> None:
    for setting in declared_settings():
        if setting.name.startswith("POSTURE_"):
            assert f"`{setting.name}`" in DOC, setting.name
