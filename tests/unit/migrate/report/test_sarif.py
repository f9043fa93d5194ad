"""SARIF 2.1.0, validated against the OASIS schema (tests/support/sarif.py), and the JSON and
text reports, on every public app."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from migrate import catalog
from migrate.report import jsonreport, sarif, text
from migrate.scan.runner import scan
from tests.support import migrate_fixtures as mf
from tests.support.sarif import sarif_validator


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return sarif_validator()


def test_the_sarif_of_every_app_is_valid_and_complete(
    fixture_app: mf.Materialized, validator
) -> None:
    result = scan(fixture_app.app_dir)
    document = sarif.document(result)
    errors = sorted(validator.iter_errors(document), key=str)
    assert errors == [], errors[0].message if errors else ""
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(catalog.RULES)
    assert len(run["results"]) == len(result.findings)
    for item in run["results"]:
        assert run["tool"]["driver"]["rules"][item["ruleIndex"]]["id"] == item["ruleId"]
        location = item["locations"][0]["physicalLocation"]
        assert (fixture_app.app_dir / location["artifactLocation"]["uri"]).exists()


def test_the_schema_check_can_fail(validator) -> None:
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}
    assert list(validator.iter_errors(broken))


def test_problems_are_notifications_and_json_and_text_carry_the_same_findings(
    tmp_path: Path, validator
) -> None:
    (tmp_path / "local.settings.json").write_text("{ not json")
    app = mf.materialize("uptime-monitor", tmp_path / "app")
    (app.app_dir / "broken.py").write_text("def (:\n")
    result = scan(app.app_dir)
    document = sarif.document(result)
    assert not list(validator.iter_errors(document))
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        "broken.py"
    ]
    report = jsonreport.document(result)
    assert report["format"] == "migrate-scan/1"
    assert [(f["file"], f["line"]) for f in report["findings"]] == [
        (f.file, f.line) for f in result.sorted_findings()
    ]
    rendered = text.render(result)
    assert "Not scanned (1)" in rendered
    assert "broken.py: not valid Python" in rendered
    assert all(f"{f.file}:{f.line}" in rendered for f in result.findings)
