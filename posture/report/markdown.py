"""The posture report as Markdown: a summary, a table of every rule, details of what needs work.

A rendering of the JSON document (:mod:`posture.report.document`), so a stored report
can be shown again without running the rules.
"""

from __future__ import annotations

from typing import Any

from posture.report.document import STATUS_LABELS, headline


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _evidence_line(item: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_cell(value)}" for key, value in item.items() if value is not None)


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: a summary, a table of every rule, details of what needs work."""
    env = report["environment"]
    lines = [
        "# Posture report",
        "",
        f"Generated {report['generated_at']} in {report['duration_ms']:.0f} ms; "
        f"{'Azure site ' + env['site'] if env['in_azure'] else 'outside Azure'}; "
        f"identity: {env['identity']['source']}.",
        "",
        headline(report),
        "",
        "| status | severity | rule | title | message |",
        "|---|---|---|---|---|",
    ]
    for item in report["results"]:
        label = STATUS_LABELS[item["status"]] + (" (waived)" if item.get("waiver") else "")
        lines.append(
            f"| {label} | {item['severity']} | {item['id']} "
            f"| {_cell(item['title'])} | {_cell(item['message'])} |"
        )
    attention = [r for r in report["results"] if r["status"] in ("fail", "error", "unknown")]
    for item in attention:
        lines += ["", f"## {item['id']}: {item['title']}", ""]
        lines.append(f"**{STATUS_LABELS[item['status']]}** ({item['severity']}): {item['message']}")
        if item.get("waiver"):
            w = item["waiver"]
            lines += ["", f"Waived until {w['expires']} by {_cell(w['owner'])} (scope "
                      f"{_cell(w['scope'])}): {_cell(w['reason'])}"]  # fmt: skip
        if item["evidence"]:
            lines.append("")
            lines += [f"- {_evidence_line(e)}" for e in item["evidence"]]
        if item["status"] == "fail":
            lines += ["", f"Fix: {item['remediation']}", "", f"See {item['docs']}."]
    expired = [w for w in report.get("waivers") or [] if w["state"] == "expired"]
    if expired:
        lines += ["", "## Expired waivers", ""]
        lines += [f"- {w['rule']} ({_cell(w['scope'])}), {_cell(w['owner'])}: expired "
                  f"{w['expires']}" for w in expired]  # fmt: skip
    return "\n".join(lines) + "\n"
