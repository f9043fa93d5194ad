"""The report as SARIF 2.1.0, the format GitHub code scanning and Azure DevOps read.

A rendering of the JSON document. One ``reportingDescriptor`` per rule (title, what it
reads, the fix as help text, the public page as ``helpUri``, a level and GitHub's
``security-severity``); one result per thing a problem is about: each evidence item of a
failed rule that names a resource, setting, secret or app, or one result for a rule that
could not judge (``kind: open``). The resource (its ARM id when known) is the result's
logical location; ``partialFingerprints`` holds a digest of rule, subject and property,
stable from run to run and holding no value. A waived result stays in the log with a
``suppressions`` entry (kind ``external``: the waivers file; status ``accepted``),
which is how SARIF consumers hide it from open alerts without losing it.

Physical locations: a run judges a deployment, not a file. ``artifact`` (the CLI's
``--sarif-artifact``, e.g. the template that made the deployment) is given to every
result as its physical location, for consumers that show results against a file.
"""

from __future__ import annotations

import hashlib
from fnmatch import fnmatchcase
from typing import Any, Final

from posture.report.document import COUNTED
from posture.waivers import SUBJECT_KEYS

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME: Final = "secretless-posture"
FINGERPRINT_NAME: Final = "postureFinding/v1"
_LEVELS: Final = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
#: GitHub code scanning reads ``security-severity`` (0.1-10) into its severity bands.
_SECURITY_SEVERITY: Final = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
    "info": "1.0",
}


def _subject(evidence: dict[str, Any]) -> str | None:
    for key in SUBJECT_KEYS:
        if evidence.get(key) is not None:
            return str(evidence[key])
    return None


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _descriptor(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "name": "".join(part.capitalize() for part in item["id"].split("-")),
        "shortDescription": {"text": item["title"]},
        "fullDescription": {"text": f"{item['title']}. Reads: {item.get('reads', '')}."},
        "help": {
            "text": item["remediation"],
            "markdown": f"{item['remediation']}\n\n[How to fix it]({item['docs']})",
        },
        "helpUri": item["docs"],
        "defaultConfiguration": {"level": _LEVELS[item["severity"]]},
        "properties": {
            "tags": ["security", "secretless", item["category"]],
            "security-severity": _SECURITY_SEVERITY[item["severity"]],
            "precision": "high",
            "problem.severity": item["severity"],
        },
    }


def _result(
    item: dict[str, Any],
    index: int,
    message: str,
    evidence: dict[str, Any] | None,
    waiver: dict[str, Any] | None,
    artifact: str | None,
) -> dict[str, Any]:
    subject = _subject(evidence or {}) or "deployment"
    prop = (evidence or {}).get("property") or (evidence or {}).get("problem") or ""
    result: dict[str, Any] = {
        "ruleId": item["id"],
        "ruleIndex": index,
        "kind": "fail" if item["status"] == "fail" else "open",
        "level": _LEVELS[item["severity"]] if item["status"] == "fail" else "warning",
        "message": {"text": message},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "name": str((evidence or {}).get("resource") or subject),
                        "fullyQualifiedName": subject,
                        "kind": "resource",
                    }
                ],
                **(
                    {"physicalLocation": {"artifactLocation": {"uri": artifact}}}
                    if artifact
                    else {}
                ),
            }
        ],
        "partialFingerprints": {FINGERPRINT_NAME: _fingerprint(item["id"], subject, prop)},
        "properties": {"status": item["status"], "evidence": evidence or {}},
    }
    if waiver is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": waiver["reason"],
                "properties": {"owner": waiver["owner"], "expires": waiver["expires"]},
            }
        ]
    return result


def _waiver_of(report: dict[str, Any], item: dict[str, Any]) -> dict[str, Any] | None:
    """The active waiver that covers some of ``item``: its own, else the first of the file
    applied to its rule."""
    if item.get("waiver"):
        found: dict[str, Any] = item["waiver"]
        return found
    return next(
        (
            w
            for w in report.get("waivers") or []
            if w["state"] == "active" and fnmatchcase(item["id"], w["rule"].upper())
        ),
        None,
    )


def _results_of(
    report: dict[str, Any], item: dict[str, Any], index: int, artifact: str | None
) -> list[dict[str, Any]]:
    if item["status"] not in COUNTED:
        return []
    waiver = _waiver_of(report, item)
    subjects = [e for e in item["evidence"] if _subject(e) is not None]
    if item["status"] != "fail" or not subjects:
        whole = waiver if item.get("waiver") else None
        return [_result(item, index, item["message"], None, whole, artifact)]
    results = []
    for e in subjects:
        what = e.get("property") or e.get("problem") or item["message"]
        covered = waiver if (item.get("waiver") or e.get("waived")) else None
        message = f"{item['title']}: {_subject(e)} ({what})"
        results.append(_result(item, index, message, e, covered, artifact))
    return results


def to_sarif(report: dict[str, Any], *, artifact: str | None = None) -> dict[str, Any]:
    """The report as one SARIF 2.1.0 log with one run."""
    items = report["results"]
    notifications = [
        {
            "level": "warning",
            "message": {"text": f"{item['id']} {item['status']}: {item['message']}"},
            "descriptor": {"id": item["id"]},
        }
        for item in items
        if item["status"] in ("error", "unknown")
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "semanticVersion": report["environment"]["app_version"],
                        "rules": [_descriptor(item) for item in items],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "startTimeUtc": report["generated_at"],
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": [
                    r
                    for index, item in enumerate(items)
                    for r in _results_of(report, item, index, artifact)
                ],
                "properties": {"summary": report["summary"], "waivers": report.get("waivers", [])},
            }
        ],
    }
