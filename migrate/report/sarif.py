"""The scan as SARIF 2.1.0 (OASIS), for GitHub code scanning and other SARIF viewers.

One run, the rule catalogue as the driver's rules, one result per finding located by a
relative URI under ``SRCROOT`` (the scanned directory), and each file the scan could not
read as a tool execution notification, so a viewer shows both.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from migrate import catalog
from migrate.model import ScanResult, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://learn.microsoft.com/azure/azure-functions/functions-identity-based-connections-tutorial"
_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
#: GitHub code scanning orders results by this property (0.0-10.0).
_SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}


def document(result: ScanResult) -> dict[str, Any]:
    rules = list(catalog.RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for f in result.sorted_findings():
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _LEVELS[f.severity],
                "message": {"text": f"{f.message}. Replace with: {f.replacement}."},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": quote(f.file), "uriBaseId": "SRCROOT"},
                            "region": {"startLine": f.line},
                        }
                    }
                ],
                "properties": {
                    "kind": f.kind.value,
                    "service": f.service,
                    "severity": f.severity.value,
                    "roles": list(f.roles),
                },
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "migrate",
                        "informationUri": INFORMATION_URI,
                        "rules": [
                            {
                                "id": rule.id,
                                "name": rule.id.title().replace("-", ""),
                                "shortDescription": {"text": rule.title},
                                "fullDescription": {
                                    "text": f"{rule.title}: replace with {rule.replacement}."
                                },
                                "help": {"text": f"Replace with {rule.replacement}."},
                                "defaultConfiguration": {"level": _LEVELS[rule.severity]},
                                "properties": {
                                    "kind": rule.kind.value,
                                    "security-severity": _SCORES[rule.severity],
                                    "tags": ["security", "secretless"],
                                },
                            }
                            for rule in rules
                        ],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": result.root.as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": p.reason},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {
                                                "uri": quote(p.file),
                                                "uriBaseId": "SRCROOT",
                                            }
                                        }
                                    }
                                ],
                            }
                            for p in result.problems
                        ],
                    }
                ],
                "results": results,
            }
        ],
    }
