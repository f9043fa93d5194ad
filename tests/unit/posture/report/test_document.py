"""posture.report.document and .schema: the JSON document of a run, valid against its schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from posture.report.document import headline
from posture.report.schema import REPORT_SCHEMA
from tests.support.posture_reports import sample_report


def test_report_validates_against_its_schema_and_counts_right() -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    report = sample_report()
    jsonschema.validate(report, REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
    summary = report["summary"]
    assert summary["total"] == 4
    assert summary["by_status"] == {"pass": 1, "fail": 1, "error": 1, "skipped": 1}
    assert summary["failed"]["high"] == 1
    assert summary["by_severity"]["critical"]["pass"] == 1
    assert report["environment"]["in_azure"] is True
    assert headline(report).startswith("posture: 1 pass, 1 fail, 1 error, 1 skipped of 4")
    broken = json.loads(json.dumps(report))
    broken["results"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, REPORT_SCHEMA)
