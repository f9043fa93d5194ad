"""The scan as a person reads it: grouped by kind, one block per finding, problems last."""

from __future__ import annotations

from collections import Counter

from migrate.model import Kind, ScanResult

_TITLES = {
    Kind.CODE: "Code",
    Kind.SETTINGS: "Settings",
    Kind.INFRA: "Infrastructure",
    Kind.CI: "CI",
}


def render(result: ScanResult) -> str:
    lines: list[str] = []
    findings = result.sorted_findings()
    counts = Counter(f.severity.value for f in findings)
    summary = ", ".join(
        f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low") if counts[s]
    )
    lines.append(
        f"migrate scan: {len(findings)} finding(s) in {result.files_scanned} file(s)"
        f"{' (' + summary + ')' if summary else ''}; programming model: {result.model}"
    )
    for kind in Kind:
        group = [f for f in findings if f.kind == kind]
        if not group:
            continue
        lines.append("")
        lines.append(f"{_TITLES[kind]} ({len(group)})")
        for f in group:
            lines.append(f"  {f.file}:{f.line}  {f.severity.value}  {f.rule}  [{f.service}]")
            lines.append(f"    {f.message}")
            lines.append(f"    replace with: {f.replacement}")
            if f.roles:
                lines.append(f"    roles: {', '.join(f.roles)}")
            if f.docs:
                lines.append(f"    see: {f.docs}")
    if result.problems:
        lines.append("")
        lines.append(f"Not scanned ({len(result.problems)})")
        lines.extend(f"  {p.line()}" for p in result.problems)
    return "\n".join(lines) + "\n"
