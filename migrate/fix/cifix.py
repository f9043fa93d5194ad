"""Workflows: stored credentials replaced by an OIDC login with a federated credential.

``azure/login`` with ``client-id``, ``tenant-id`` and ``subscription-id`` (repository
variables, not secrets) and ``permissions: id-token: write`` gets a token from GitHub's OIDC
issuer that Entra exchanges through the federated credential: nothing stored can leak
(learn.microsoft.com/azure/developer/github/connect-from-azure-openid-connect). So:

* ``publish-profile:`` is removed from its step and a login step is added before that step;
* ``creds: ${{ secrets.AZURE_CREDENTIALS }}`` becomes the three ids;
* an environment entry that only carries ``secrets.AZURE_CREDENTIALS`` is removed;
* a step that logs in with a client secret is removed (the job logs in with OIDC instead);
* ``permissions: id-token: write`` is added where the workflow does not grant it.

Edits are made on lines with the workflow's own indentation; a workflow whose layout the
fixer does not recognise is left with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from migrate.fix.report import FixReport
from migrate.model import Finding

_STEP = re.compile(r"^(\s*)- ")
_IDS = (
    ("client-id", "${{ vars.AZURE_CLIENT_ID }}"),
    ("tenant-id", "${{ vars.AZURE_TENANT_ID }}"),
    ("subscription-id", "${{ vars.AZURE_SUBSCRIPTION_ID }}"),
)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _step_span(lines: list[str], index: int) -> tuple[int, int] | None:
    """(first, end) line indexes of the step holding line ``index`` (end exclusive)."""
    first = index
    while first >= 0 and not _STEP.match(lines[first]):
        first -= 1
    if first < 0:
        return None
    dash_indent = len(_STEP.match(lines[first]).group(1))  # type: ignore[union-attr]
    end = first + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and len(_indent(line)) <= dash_indent:
            break
        end += 1
    return first, end


def _login_step(indent: str) -> list[str]:
    inner = indent + "  "
    return [
        f"{indent}- name: Log in to Azure with OIDC (a federated credential, no stored secret)\n",
        f"{inner}uses: azure/login@v2\n",
        f"{inner}with:\n",
        *(f"{inner}  {key}: {value}\n" for key, value in _IDS),
    ]


def fix_workflow(path: Path, relative: str, findings: list[Finding], report: FixReport) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    removals: set[int] = set()
    inserts: dict[int, list[str]] = {}
    replacements: dict[int, list[str]] = {}
    for finding in findings:
        index = finding.line - 1
        line = lines[index]
        stripped = line.strip()
        if finding.rule == "MIG-CI-PUBLISHPROFILE" and stripped.startswith(
            ("publish-profile", "publish_profile")
        ):
            span = _step_span(lines, index)
            if span is None:
                report.leave(
                    relative, finding.line, finding.rule, "not inside a step the fixer recognises"
                )
                continue
            removals.add(index)
            step_indent = _STEP.match(lines[span[0]]).group(1)  # type: ignore[union-attr]
            inserts.setdefault(span[0], _login_step(step_indent))
            report.changed(
                relative,
                "publish-profile removed; an OIDC azure/login step added before the deploy",
            )
        elif finding.rule == "MIG-CI-AZCREDS" and stripped.startswith("creds:"):
            indent = _indent(line)
            replacements[index] = [f"{indent}{key}: {value}\n" for key, value in _IDS]
            report.changed(
                relative,
                "azure/login creds replaced by client-id, tenant-id, subscription-id (OIDC)",
            )
        elif finding.rule == "MIG-CI-AZCREDS" and re.match(
            r"^\s*[A-Z_]+\s*:\s*\$\{\{\s*secrets\.", line
        ):
            removals.add(index)
            report.changed(
                relative, f"environment entry {stripped.split(':')[0]} removed (a stored secret)"
            )
        elif finding.rule == "MIG-CI-CLIENTSECRET":
            span = _step_span(lines, index)
            if span is None:
                report.leave(
                    relative, finding.line, finding.rule, "not inside a step the fixer recognises"
                )
                continue
            removals.update(range(*span))
            report.changed(
                relative, "the step that logged in with a client secret removed (OIDC logs in)"
            )
        else:
            report.leave(
                relative,
                finding.line,
                finding.rule,
                "a form of this credential the fixer "
                "does not rewrite: replace it with the OIDC login by hand",
            )
    if not (removals or inserts or replacements):
        return
    out: list[str] = []
    for index, line in enumerate(lines):
        out.extend(inserts.get(index, []))
        if index in replacements:
            out.extend(replacements[index])
        elif index not in removals:
            out.append(line)
    text = "".join(out)
    if not re.search(r"^\s*id-token\s*:\s*write", text, re.MULTILINE):
        text = _grant_id_token(text)
        report.changed(relative, "permissions: id-token: write added (the OIDC login needs it)")
    path.write_text(text, encoding="utf-8")


def _grant_id_token(text: str) -> str:
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if re.match(r"^permissions\s*:\s*$", line):
            lines.insert(index + 1, "  id-token: write\n")
            return "".join(lines)
        if re.match(r"^permissions\s*:", line):  # a one-line grant (read-all, {}): made explicit
            lines[index] = "permissions:\n  id-token: write\n  contents: read\n"
            return "".join(lines)
    for index, line in enumerate(lines):
        if re.match(r"^jobs\s*:", line):
            lines[index:index] = [
                "permissions:\n",
                "  id-token: write\n",
                "  contents: read\n",
                "\n",
            ]
            return "".join(lines)
    return text
