"""posture.report.sarif: the report as SARIF 2.1.0, valid against the OASIS schema itself.

The schema is the OASIS committee's own (tests/support/sarif.py says where it comes from);
GitHub code scanning's reading of ``security-severity`` and ``partialFingerprints`` is
from "SARIF support for code scanning"
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest

from posture.context import CheckContext
from posture.model import RuleResult, Severity
from posture.report.document import build_report
from posture.report.sarif import FINGERPRINT_NAME, to_sarif
from posture.runner import run_rules
from posture.waivers import Waiver
from tests.support.posture_reports import make_rule, sample_report
from tests.support.sarif import sarif_validator

RESOURCE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"


def _valid(log: dict[str, Any]) -> dict[str, Any]:
    sarif_validator().validate(log)
    return log


def _resource_report(waivers: tuple[Waiver, ...] = ()) -> dict[str, Any]:
    evidence = [
        {"resource": "st1", "resource_id": RESOURCE, "property": "allowSharedKeyAccess"},
        {"resource": "st2", "resource_id": RESOURCE[:-1] + "2", "property": "allowSharedKeyAccess"},
    ]
    rules = [make_rule("T-STG", lambda c: RuleResult.failed("2 accounts", evidence))]
    context = CheckContext(env={})
    return build_report(run_rules(context, rules=rules), context, waivers=waivers)


def test_the_log_validates_against_the_sarif_2_1_0_schema() -> None:
    log = _valid(to_sarif(sample_report(), artifact="infra/main.bicep"))
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]][:2] == ["T-FAIL", "T-PASS"]
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["helpUri"].startswith("https://")
    assert rule["help"]["text"] == "fix it"
    assert rule["properties"]["security-severity"] == "8.0"
    kinds = {r["ruleId"]: (r["kind"], r["level"]) for r in run["results"]}
    assert kinds == {
        "T-FAIL": ("fail", "error"),
        "T-ERR": ("open", "warning"),
        "T-BLIND": ("open", "warning"),
    }
    location = run["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.bicep"


def test_a_schema_violation_is_caught() -> None:
    log = to_sarif(sample_report())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _valid(log)


def test_one_result_per_resource_with_its_id_and_a_stable_valueless_fingerprint() -> None:
    first = _valid(to_sarif(_resource_report()))["runs"][0]["results"]
    again = to_sarif(_resource_report())["runs"][0]["results"]
    assert [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in first] == [
        RESOURCE,
        RESOURCE[:-1] + "2",
    ]
    prints = [r["partialFingerprints"][FINGERPRINT_NAME] for r in first]
    assert prints == [r["partialFingerprints"][FINGERPRINT_NAME] for r in again]
    assert len(set(prints)) == 2


def test_a_waived_finding_stays_in_the_log_with_an_accepted_suppression() -> None:
    waiver = Waiver("T-STG", "st1", "migrating", "team@example.org", date.today() + timedelta(1))
    results = _valid(to_sarif(_resource_report((waiver,))))["runs"][0]["results"]
    assert len(results) == 2
    suppressed = {
        r["locations"][0]["logicalLocations"][0]["name"]: r.get("suppressions") for r in results
    }
    assert suppressed["st2"] is None
    assert suppressed["st1"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "migrating",
            "properties": {"owner": "team@example.org", "expires": waiver.expires.isoformat()},
        }
    ]


@pytest.mark.parametrize("severity", list(Severity))
def test_every_severity_maps_to_a_level_and_a_security_severity(severity: Severity) -> None:
    rules = [make_rule("T-X", lambda c: RuleResult.failed("x", [{"app": "a"}]), severity=severity)]
    context = CheckContext(env={})
    log = _valid(to_sarif(build_report(run_rules(context, rules=rules), context)))
    value = float(log["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"])
    assert 0.0 < value <= 10.0
