"""What ``fix`` did and did not do: written to ``DIR/migrate-report.md`` and ``.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Change:
    file: str
    what: str


@dataclass(frozen=True, slots=True)
class Left:
    """A finding the fix did not change, and why (never with the secret's value)."""

    file: str
    line: int
    rule: str
    why: str


@dataclass(slots=True)
class FixReport:
    source: Path
    out: Path
    changes: list[Change] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    redacted: list[Change] = field(default_factory=list)
    skipped: list[Change] = field(default_factory=list)  # files not copied (links out, ...)
    roles: list[dict[str, str]] = field(default_factory=list)  # principal, role, scope
    next_steps: list[str] = field(default_factory=list)
    findings_before: int = 0
    findings_after: int = 0

    def changed(self, file: str, what: str) -> None:
        self.changes.append(Change(file, what))

    def leave(self, file: str, line: int, rule: str, why: str) -> None:
        if not any(item.file == file and item.line == line for item in self.left):
            self.left.append(Left(file, line, rule, why))

    def summary(self) -> str:
        return (
            f"migrate: {len(self.changes)} change(s) written to {self.out}; "
            f"{len(self.left)} finding(s) left with a reason; "
            f"{self.findings_before} finding(s) before, {self.findings_after} in the copy; "
            f"see {self.out / 'migrate-report.md'}"
        )

    def document(self) -> dict[str, Any]:
        return {
            "format": "migrate-fix/1",
            "findings_before": self.findings_before,
            "findings_after": self.findings_after,
            "changes": [{"file": c.file, "what": c.what} for c in self.changes],
            "left": [
                {"file": x.file, "line": x.line, "rule": x.rule, "why": x.why} for x in self.left
            ],
            "secrets_blanked": [{"file": c.file, "what": c.what} for c in self.redacted],
            "not_copied": [{"file": c.file, "why": c.what} for c in self.skipped],
            "role_assignments": self.roles,
            "next_steps": self.next_steps,
        }

    def markdown(self) -> str:
        lines = [
            "# Migration report",
            "",
            f"{self.findings_before} finding(s) in the input, "
            f"{self.findings_after} left in this copy.",
            "",
            "## Changed",
            "",
        ]
        lines += [f"- `{c.file}`: {c.what}" for c in self.changes] or ["- nothing"]
        lines += ["", "## Not changed, and why", ""]
        lines += [f"- `{x.file}:{x.line}` ({x.rule}): {x.why}" for x in self.left] or ["- nothing"]
        if self.redacted:
            lines += ["", "## Secret values blanked in this copy (rotate them)", ""]
            lines += [f"- `{c.file}`: {c.what}" for c in self.redacted]
        if self.skipped:
            lines += ["", "## Not copied", ""]
            lines += [f"- `{c.file}`: {c.what}" for c in self.skipped]
        if self.roles:
            lines += ["", "## Role assignments the app's identity needs", ""]
            lines += [f"- {r['role']} on {r['scope']} ({r['why']})" for r in self.roles]
        if self.next_steps:
            lines += ["", "## Next steps", ""]
            lines += [f"{i}. {step}" for i, step in enumerate(self.next_steps, start=1)]
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        (self.out / "migrate-report.md").write_text(self.markdown(), encoding="utf-8")
        (self.out / "migrate-report.json").write_text(
            json.dumps(self.document(), indent=2) + "\n", encoding="utf-8"
        )
