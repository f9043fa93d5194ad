"""The scan as JSON: a stable document for scripts (``"format": "migrate-scan/1"``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from migrate.model import Finding, ScanResult

FORMAT = "migrate-scan/1"


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "kind": f.kind.value,
        "service": f.service,
        "file": f.file,
        "line": f.line,
        "severity": f.severity.value,
        "message": f.message,
        "replacement": f.replacement,
        "roles": list(f.roles),
        "docs": f.docs or None,
        "setting": f.setting,
        "connection": f.connection,
        "direction": f.direction,
    }


def document(result: ScanResult) -> dict[str, Any]:
    findings = result.sorted_findings()
    return {
        "format": FORMAT,
        "model": result.model,
        "files_scanned": result.files_scanned,
        "summary": {
            "by_kind": dict(Counter(f.kind.value for f in findings)),
            "by_severity": dict(Counter(f.severity.value for f in findings)),
        },
        "findings": [finding_dict(f) for f in findings],
        "problems": [{"file": p.file, "reason": p.reason} for p in result.problems],
    }
