"""Findings of one Python file, one per line: the most severe, then the rule listed first.

Shared by the code rules of :mod:`migrate.scan.pycode` (calls, reads) and
:mod:`migrate.scan.pyliterals` (literals, headers, assignments).
"""

from __future__ import annotations

import ast

from migrate import catalog, roles
from migrate.model import Finding, Kind, Severity
from migrate.scan.pyfacts import EnvRead


class LineFindings:
    """Candidate findings of one file, one per line (the most severe, then the rule order)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.by_line: dict[int, Finding] = {}

    def add(
        self,
        rule_id: str,
        line: int,
        service: str,
        message: str,
        *,
        severity: Severity | None = None,
        setting: str | None = None,
    ) -> None:
        rule = catalog.rule(rule_id)
        need = roles.for_client(service)
        found = Finding(
            rule=rule_id,
            kind=Kind.CODE,
            service=service,
            file=self.file,
            line=line,
            severity=severity or rule.severity,
            message=message,
            replacement=catalog.replacement(rule_id, service, setting),
            roles=need.roles,
            docs=need.docs,
            setting=setting,
        )
        kept = self.by_line.get(line)
        if kept is None or _stronger(found, kept):
            self.by_line[line] = found


def _stronger(new: Finding, old: Finding) -> bool:
    if new.severity.rank != old.severity.rank:
        return new.severity.rank > old.severity.rank
    return catalog.ORDER.index(new.rule) < catalog.ORDER.index(old.rule)


def mark(reads: list[EnvRead], service: str) -> None:
    for read in reads:
        read.services.add(service)


def last(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def arg_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
