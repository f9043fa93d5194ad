"""What a scan produces: findings, the per-file problems it met, and the whole result.

A finding names where a secret is used (file, line), what kind of thing uses it and the
identity-based replacement with the roles that replacement needs. It never holds a secret
value: the message is built from names (settings, classes, rules), never from the text of
the line, so a finding can be printed, written to SARIF or logged safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    CODE = "code"
    SETTINGS = "settings"
    INFRA = "infra"
    CI = "ci"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret-based authentication, where it is and what replaces it.

    ``setting`` and ``connection`` name the app setting or binding connection involved (for
    the fixers and the report), ``roles`` the least-privileged built-in roles the identity
    needs for what the finding does, ``docs`` the page those roles come from.
    """

    rule: str
    kind: Kind
    service: str
    file: str  # relative to the scanned root, '/'-separated
    line: int
    severity: Severity
    message: str
    replacement: str
    roles: tuple[str, ...] = ()
    docs: str = ""
    setting: str | None = None
    connection: str | None = None
    direction: str | None = None  # trigger, in, out: for a binding finding

    @property
    def key(self) -> tuple[str, int]:
        return (self.file, self.line)


@dataclass(frozen=True, slots=True)
class Problem:
    """A file the scan could not read as what it looked like; one line, the scan goes on."""

    file: str
    reason: str

    def line(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(slots=True)
class ScanResult:
    root: Path
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files_scanned: int = 0
    models: set[str] = field(default_factory=set)  # "v1", "v2"

    @property
    def model(self) -> str:
        """v1, v2, mixed or none: which Python programming model the app uses."""
        if len(self.models) > 1:
            return "mixed"
        return next(iter(self.models), "none")

    def sorted_findings(self) -> list[Finding]:
        order = list(Kind)
        return sorted(self.findings, key=lambda f: (order.index(f.kind), f.file, f.line, f.rule))

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)
