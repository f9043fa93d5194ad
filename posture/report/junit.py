"""The report as JUnit XML, for the test-report views of CI systems.

One ``testsuite`` per category, one ``testcase`` per rule (``classname`` posture.<category>,
``name`` the rule id and title). A failed rule is a ``failure``, a rule that could not judge
(``error``, ``unknown``) an ``error``, a rule that does not apply ``skipped``; a waived rule
is ``skipped`` with the waiver as its message, and keeps its evidence in ``system-out`` so
it stays visible. The layout is the one the JUnit XML schema used by Jenkins, GitLab and
Azure Pipelines describes (testsuites/testsuite/testcase with failure, error, skipped,
properties and system-out).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any


def _evidence_text(item: dict[str, Any]) -> str:
    return "\n".join(
        ", ".join(f"{k}={v}" for k, v in e.items() if v is not None) for e in item["evidence"]
    )


def _case(suite: ET.Element, item: dict[str, Any]) -> str:
    """Append the test case of one result; the kind of outcome it counts as."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"posture.{item['category']}",
        name=f"{item['id']}: {item['title']}",
        time=f"{item['duration_ms'] / 1000:.3f}",
    )
    properties = ET.SubElement(case, "properties")
    for name in ("severity", "status", "docs"):
        ET.SubElement(properties, "property", name=name, value=str(item[name]))
    status, waiver = item["status"], item.get("waiver")
    if waiver:
        ET.SubElement(
            case,
            "skipped",
            message=f"waived until {waiver['expires']} by {waiver['owner']}: {waiver['reason']} "
            f"(was {status}: {item['message']})",
        )
        outcome = "skipped"
    elif status == "fail":
        failure = ET.SubElement(case, "failure", message=item["message"], type="fail")
        failure.text = f"{_evidence_text(item)}\n\nFix: {item['remediation']}"
        outcome = "failures"
    elif status in ("error", "unknown"):
        error = ET.SubElement(case, "error", message=item["message"], type=status)
        error.text = _evidence_text(item)
        outcome = "errors"
    elif status == "skipped":
        ET.SubElement(case, "skipped", message=item["message"])
        outcome = "skipped"
    else:
        outcome = "passed"
    if item["evidence"] and (waiver or status == "pass"):
        ET.SubElement(case, "system-out").text = _evidence_text(item)
    return outcome


def to_junit(report: dict[str, Any]) -> str:
    """The report as a JUnit XML document."""
    root = ET.Element("testsuites", name="posture", timestamp=report["generated_at"])
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in report["results"]:
        by_category[item["category"]].append(item)
    totals: dict[str, int] = defaultdict(int)
    for category, items in by_category.items():
        suite = ET.SubElement(root, "testsuite", name=f"posture.{category}")
        counts: dict[str, int] = defaultdict(int)
        for item in items:
            counts[_case(suite, item)] += 1
        counts["tests"] = len(items)
        seconds = sum(i["duration_ms"] for i in items) / 1000
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("time", f"{seconds:.3f}")
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{report['duration_ms'] / 1000:.3f}")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
