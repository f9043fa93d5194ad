"""GitHub workflows: publish profiles, service principal JSON and client secrets in CI.

Read line by line (comments skipped): each rule is about one line, ``publish-profile:``, a
``secrets.*CREDENTIALS*`` reference, or a login that passes a client secret, and the line is
what a reader needs to find. The replacement is the OIDC login with a federated credential
(``azure/login`` with ``client-id``, ``tenant-id``, ``subscription-id`` and
``permissions: id-token: write``).
"""

from __future__ import annotations

import re

from migrate import catalog, roles
from migrate.model import Finding, Kind
from migrate.tree import SourceFile

_PUBLISH_PROFILE = re.compile(r"^\s*-?\s*publish[-_]profile\s*:", re.IGNORECASE)
_PROFILE_SECRET = re.compile(r"secrets\.\w*PUBLISH[_-]?PROFILE\w*", re.IGNORECASE)
_CREDENTIALS = re.compile(r"secrets\.(\w*CREDENTIALS\w*)", re.IGNORECASE)
_CLIENT_SECRET = re.compile(
    r"--client-secret\b|^\s*-?\s*client[-_]?secret\s*:|AZURE_CLIENT_SECRET\s*:\s*\$\{\{|"
    r"az\s+login\s+--service-principal.*\s(?:-p|--password)\b|secrets\.\w*CLIENT_SECRET",
    re.IGNORECASE,
)


def scan(source: SourceFile) -> list[Finding]:
    found: list[Finding] = []
    for number, line in enumerate(source.text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        if _PUBLISH_PROFILE.search(line) or _PROFILE_SECRET.search(line):
            found.append(
                _finding(
                    "MIG-CI-PUBLISHPROFILE",
                    source.relative,
                    number,
                    "appservice",
                    "deploys with a publish profile (basic-auth deployment credentials)",
                )
            )
        elif _CREDENTIALS.search(line):
            name = _CREDENTIALS.search(line).group(1)  # type: ignore[union-attr]
            found.append(
                _finding(
                    "MIG-CI-AZCREDS",
                    source.relative,
                    number,
                    "entra",
                    f"secrets.{name}: a service principal with a client secret",
                )
            )
        elif _CLIENT_SECRET.search(line):
            found.append(
                _finding(
                    "MIG-CI-CLIENTSECRET",
                    source.relative,
                    number,
                    "entra",
                    "logs in with a client secret",
                )
            )
    return found


def _finding(rule_id: str, file: str, line: int, service: str, message: str) -> Finding:
    rule = catalog.rule(rule_id)
    return Finding(
        rule=rule_id,
        kind=Kind.CI,
        service=service,
        file=file,
        line=line,
        severity=rule.severity,
        message=message,
        replacement=rule.replacement,
        docs=roles.DOCS.get(service, ""),
    )
