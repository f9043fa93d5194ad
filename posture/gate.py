"""The CI gate: which results of a report fail it, and why, one line each.

A rule fails the gate at ``--fail-on SEVERITY`` or worse when it failed, or when it could
not judge (``error``, ``unknown``): a gate that passes what it could not see proves
nothing. A team accepts a known finding or gap explicitly, with a waiver (rule, scope,
reason, owner, expiry); a waived result does not count, an expired waiver does, and so
does a baseline rule the run left out.
"""

from __future__ import annotations

from typing import Any

from posture.model import Severity
from posture.report.document import COUNTED


def gate_failures(report: dict[str, Any], threshold: Severity) -> list[str]:
    """Why ``report`` fails a gate at ``threshold`` (empty: it passes)."""
    reasons = [
        f"{r['id']} ({r['severity']}) {r['status']}: {r['message']}"
        for r in report["results"]
        if r["status"] in COUNTED
        and Severity(r["severity"]).rank >= threshold.rank
        and not r.get("waiver")
    ]
    reasons += [
        f"waiver for {w['rule']} (scope {w['scope']}, owner {w['owner']}) expired on "
        f"{w['expires']}: renew it with a new date or remove it"
        for w in report.get("waivers") or []
        if w["state"] == "expired"
    ]
    reasons += [
        f"baseline {b['name']} requires {', '.join(b['missing'])}, which the run left out"
        for b in report.get("baselines") or []
        if b["missing"]
    ]
    return reasons
