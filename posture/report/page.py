"""The report as one self-contained HTML page: no script, no external file, every value escaped.

What needs work comes first: the table is ordered fail, error, pass, skipped and, within
each, by severity, so a reader sees the worst problem in the first row. Each row opens
(``<details>``, no JavaScript) onto the evidence and the fix. Served with a
Content-Security-Policy that allows nothing but the inline style.
"""

from __future__ import annotations

from html import escape
from typing import Any, Final

from posture.model import Severity
from posture.report.document import STATUS_LABELS, headline

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_STATUS_ORDER: Final = {"fail": 0, "error": 1, "unknown": 2, "pass": 3, "skipped": 4}
_STYLE: Final = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}p.meta{color:#57606a;margin:0 0 1rem}
.cards{display:flex;gap:.75rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:6rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.status{font-weight:700;border-radius:4px;padding:.1rem .4rem;white-space:nowrap}
.s-fail{background:#ffebe9;color:#a40e26}.s-error{background:#fff8c5;color:#7d4e00}
.s-pass{background:#dafbe1;color:#116329}.s-skipped{background:#eaeef2;color:#57606a}
.s-unknown{background:#fbefff;color:#6e40c9}.waived{font-size:11px;color:#57606a}
.sev-critical,.sev-high{font-weight:700}
details summary{cursor:pointer}table.evidence{margin:.4rem 0;font-size:12px}
code{font:12px ui-monospace,monospace}
"""


def _sort_key(item: dict[str, Any]) -> tuple[int, int, int, str]:
    waived = 1 if item.get("waiver") else 0  # a waived problem after the open ones
    return (waived, _STATUS_ORDER[item["status"]], -Severity(item["severity"]).rank, item["id"])


def _evidence_table(evidence: list[dict[str, Any]]) -> str:
    if not evidence:
        return ""
    keys: list[str] = []
    for item in evidence:
        keys += [k for k in item if k not in keys]
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{escape('' if e.get(k) is None else str(e.get(k)))}</td>" for k in keys)
        + "</tr>"
        for e in evidence
    )
    return f'<table class="evidence"><tr>{head}</tr>{rows}</table>'


def _row(item: dict[str, Any]) -> str:
    status = item["status"]
    fix = ""
    if status == "fail":
        fix = f"<p><b>Fix:</b> {escape(item['remediation'])}</p>"
    waiver = item.get("waiver")
    waived = ""
    if waiver:
        waived = (
            f'<br><span class="waived">WAIVED until {escape(waiver["expires"])} by '
            f"{escape(waiver['owner'])}: {escape(waiver['reason'])}</span>"
        )
        fix += f"<p><b>Waived:</b> scope {escape(waiver['scope'])}</p>"
    details = (
        f"<details><summary>{escape(item['message'])}</summary>"
        f"{_evidence_table(item['evidence'])}{fix}"
        f"<p><b>Reads:</b> {escape(item.get('reads', ''))}<br>"
        f"<b>Needs:</b> {escape(item.get('permission', ''))}<br>"
        f'<b>Docs:</b> <a href="{escape(item["docs"])}">{escape(item["docs"])}</a></p></details>'
    )
    return (
        f'<tr class="row-{status}">'
        f'<td><span class="status s-{status}">{STATUS_LABELS[status]}</span>{waived}</td>'
        f'<td class="sev-{escape(item["severity"])}">{escape(item["severity"])}</td>'
        f"<td><code>{escape(item['id'])}</code></td>"
        f"<td>{escape(item['title'])}</td><td>{details}</td></tr>"
    )


def to_html(report: dict[str, Any]) -> str:
    """The report as a complete HTML document."""
    env = report["environment"]
    summary = report["summary"]
    where = f"Azure site {env['site']}" if env["in_azure"] else "outside Azure"
    cards = "".join(
        f'<div class="card"><b>{summary["by_status"][status]}</b>{label}</div>'
        for status, label in STATUS_LABELS.items()
    )
    failed = "".join(
        f'<div class="card sev-{sev}"><b>{n}</b>{sev} failed</div>'
        for sev, n in summary["failed"].items()
        if n
    )
    rows = "".join(_row(item) for item in sorted(report["results"], key=_sort_key))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Posture report {escape(report['generated_at'])}</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Posture report</h1>"
        f'<p class="meta">Generated {escape(report["generated_at"])} in '
        f"{report['duration_ms']:.0f} ms; {escape(where)}; identity: "
        f"{escape(env['identity']['source'])}; schema {escape(report['schema_version'])}.</p>"
        f'<p class="headline">{escape(headline(report))}</p>'
        f'<div class="cards">{cards}{failed}</div>'
        '<table class="results"><thead><tr><th>status</th><th>severity</th><th>rule</th>'
        f"<th>title</th><th>result</th></tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>\n"
    )
