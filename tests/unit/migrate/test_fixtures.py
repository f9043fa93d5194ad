"""The fixtures themselves: every expectation points at one line of its re-created app, every
fixture says where it comes from, and none holds a secret-shaped literal.

The expectations were written by reading the original apps before the scanner existed (see
each SOURCE.md and the history of expected.json); this module only holds them to the files.
"""

from __future__ import annotations

import json
import re

import pytest

from migrate.model import Kind, Severity
from shared.redaction.shapes import contains_secret
from tests.support import migrate_fixtures as mf

NAMES = mf.names()


def test_at_least_eight_apps_of_both_models_with_and_without_templates_and_a_workflow() -> None:
    models = {json.loads((mf.FIXTURES / n / "expected.json").read_text())["model"] for n in NAMES}
    assert len(NAMES) >= 8
    assert {"v1", "v2"} <= models
    files = {
        n: [
            p.relative_to(mf.FIXTURES / n / "app").as_posix()
            for p in (mf.FIXTURES / n / "app").rglob("*")
            if p.is_file()
        ]
        for n in NAMES
    }
    with_templates = [
        n
        for n, f in files.items()
        if any(
            x.endswith((".bicep", "azuredeploy.json")) or ("deploy" in x and x.endswith(".json"))
            for x in f
        )
    ]
    without = [n for n in NAMES if n not in with_templates]
    workflows = [n for n, f in files.items() if any(x.startswith(".github/workflows/") for x in f)]
    assert with_templates
    assert without
    assert workflows


@pytest.mark.parametrize("name", NAMES)
def test_every_expectation_names_a_kind_a_severity_and_an_existing_line(name: str) -> None:
    found = mf.expected_findings(name)
    assert found, f"{name} expects nothing"
    for item in found:
        assert item.kind in {k.value for k in Kind}
        assert item.severity in {s.value for s in Severity}
        lines = (mf.FIXTURES / name / "app" / item.file).read_text().splitlines()
        assert item.anchor.splitlines()[0] in lines[item.line - 1]
    keys = [(e.kind, e.file, e.line) for e in found]
    assert len(keys) == len(set(keys)), "two expectations on one line of one kind"


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_says_where_it_comes_from(name: str) -> None:
    source = (mf.FIXTURES / name / "SOURCE.md").read_text().lower()
    for field in ("repository:", "commit", "licence:", "what was kept"):
        assert field in source, f"{name}/SOURCE.md has no {field}"
    assert re.search(r"\b[0-9a-f]{40}\b", source), f"{name}/SOURCE.md names no commit id"


@pytest.mark.parametrize("name", NAMES)
def test_no_fixture_file_holds_a_secret_shaped_literal(name: str) -> None:
    for path in (mf.FIXTURES / name).rglob("*"):
        if path.is_file():
            assert not contains_secret(path.read_text()), path


def test_placeholders_become_values_of_their_shape(tmp_path) -> None:
    app = mf.materialize("yokawasa-v2functions", tmp_path / "y")
    sample = (app.app_dir / "local.settings.json.sample").read_text()
    assert "${FAKE:" not in sample
    assert contains_secret(sample)  # the storage and Cosmos keys are recognised as keys
    assert set(app.secrets) == {"storage-account-key", "cosmos-key", "cognitive-key"}
    again = mf.materialize("yokawasa-v2functions", tmp_path / "z")
    assert again.secrets == app.secrets  # seeded: the same run gives the same secrets
