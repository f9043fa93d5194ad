"""docs/posture.md lists every rule as registered: id, severity, what it reads, permission, fix."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from devstack.runner import ROOT
from posture.controls import CONTROLS, coverage
from posture.model import Rule, all_rules
from posture.references import REFERENCES
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


def _coverage_rows() -> list[list[str]]:
    section = DOC.split("## Coverage\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table]


def test_the_coverage_table_is_the_controls_table() -> None:
    def cells(ids: tuple[str, ...]) -> str:
        return ", ".join(ids) or "-"

    expected = [
        [c.name, cells(c.prowler), cells(c.psrule), cells(c.policy), cells(c.rules),
         c.judged + (f": {c.note}" if c.note else "")]
        for c in CONTROLS
    ]  # fmt: skip
    assert _coverage_rows() == expected


def test_every_control_names_registered_rules_and_every_rule_its_public_page() -> None:
    registered = {rule.id for rule in all_rules()}
    for control in CONTROLS:
        assert set(control.rules) <= registered, control.name
        assert bool(control.rules) == (control.judged != "out"), control.name
        for policy in control.policy:
            assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", policy), policy
        for check in control.prowler:
            assert re.fullmatch(r"(m365:)?[a-z0-9_]+", check), check
        for psrule in control.psrule:
            assert re.fullmatch(r"Azure(\.[A-Za-z0-9]+)+", psrule), psrule
    assert set(REFERENCES) == registered


def test_coverage_is_at_least_95_percent_both_ways_and_the_page_says_so() -> None:
    judged, overall = coverage()
    assert judged >= 0.95
    assert overall >= 0.95
    assert f"**{judged:.1%}**" in DOC
    assert f"**{overall:.1%}**" in DOC
    # A part counts half and a control left out counts as none: the arithmetic, checked.
    assert coverage((CONTROLS[0], replace(CONTROLS[1], judged="part"))) == (0.75, 0.75)
    assert coverage((CONTROLS[0], replace(CONTROLS[1], judged="out"))) == (1.0, 0.5)
