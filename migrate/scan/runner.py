"""``scan(root)``: every scanner over the tree, then what needs the whole app to decide.

Files are read once, in a fixed order; a file a scanner cannot read becomes one line in
``problems`` and the scan goes on. Settings are judged after the code, because the code
tells which settings hold secrets; bindings after the settings and templates, because those
tell which connections are already identity-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from migrate import catalog
from migrate.errors import UsageError
from migrate.model import Finding, Problem, ScanResult
from migrate.scan import arm, bicep, connections, functionjson, jsonpos, python, settings, workflows
from migrate.scan.bindings import Binding, SecretSetting
from migrate.scan.pybindings import HttpFacts
from migrate.tree import SourceFile, kind_of, walk


@dataclass(slots=True)
class Collected:
    """What the scan learned besides findings: the fixers use it too."""

    bindings: list[Binding] = field(default_factory=list)
    secrets: list[SecretSetting] = field(default_factory=list)
    entries: list[settings.SettingEntry] = field(default_factory=list)
    identity_names: set[str] = field(default_factory=set)
    http: HttpFacts = field(default_factory=HttpFacts)

    def identity_prefixes(self) -> set[str]:
        """Connections some setting or template already makes identity-based."""
        names = [entry.name for entry in self.entries] + sorted(self.identity_names)
        return {p for p in (settings.identity_prefix(name) for name in names) if p}


def scan(root: Path) -> ScanResult:
    return scan_details(root)[0]


def scan_details(root: Path) -> tuple[ScanResult, Collected]:
    """The result and what was collected on the way (bindings, settings, identity names)."""
    if not root.exists():
        raise UsageError(f"{root} does not exist: give the app's directory")
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory: give the app's directory")
    result = ScanResult(root.resolve())
    seen = Collected()
    for item in walk(root):
        if isinstance(item, Problem):
            result.problems.append(item)
            continue
        result.files_scanned += 1
        problem = _dispatch(item, result, seen)
        if problem is not None:
            result.problems.append(problem)
    _resolve(result, seen)
    return result, seen


def _dispatch(source: SourceFile, result: ScanResult, seen: Collected) -> Problem | None:
    kind = kind_of(source.relative)
    if kind == "python":
        scanned = python.scan(source, seen.http)
        if isinstance(scanned, Problem):
            return scanned
        result.findings.extend(scanned.findings)
        seen.bindings.extend(scanned.bindings)
        seen.secrets.extend(scanned.secret_settings)
        if scanned.v2:
            result.models.add("v2")
    elif kind == "function-json":
        parsed = functionjson.scan(source)
        if isinstance(parsed, Problem):
            return parsed
        bindings, secrets, findings = parsed
        seen.bindings.extend(bindings)
        seen.secrets.extend(secrets)
        result.findings.extend(findings)
        result.models.add("v1")
    elif kind == "settings":
        entries = settings.parse(source)
        if isinstance(entries, Problem):
            return entries
        seen.entries.extend(entries)
    elif kind == "json":
        return _json(source, result, seen)
    elif kind == "bicep":
        scanned_bicep = bicep.scan(source)
        if isinstance(scanned_bicep, Problem):
            return scanned_bicep
        result.findings.extend(scanned_bicep[0])
        seen.identity_names |= scanned_bicep[1]
    elif kind == "workflow":
        result.findings.extend(workflows.scan(source))
    return None


def _json(source: SourceFile, result: ScanResult, seen: Collected) -> Problem | None:
    try:
        document = jsonpos.parse(source.text)
    except ValueError as exc:
        if "deploymentTemplate" in source.text:
            return Problem(source.relative, f"not valid JSON ({exc}); template not scanned")
        return None  # some other tool's file: not ours to judge
    if arm.is_template(document):
        found, names = arm.scan(document, source.relative)
        result.findings.extend(found)
        seen.identity_names |= names
        return None
    entries = settings.entries_of(document, source.relative)
    if entries and isinstance(document.value, list):  # an app-settings export
        seen.entries.extend(entries)
    return None


def _resolve(result: ScanResult, seen: Collected) -> None:
    secret_names: dict[str, str] = {}
    for finding in result.findings:
        if finding.rule == "MIG-CODE-ENVSECRET" and finding.setting:
            secret_names.setdefault(finding.setting, finding.service)
    for secret in seen.secrets:
        secret_names.setdefault(secret.setting, secret.service)
    identity = seen.identity_prefixes()
    for entry in seen.entries:
        judged = settings.judge(entry, secret_names=secret_names)
        if judged is not None:
            result.findings.append(judged)
    result.findings.extend(connections.binding_findings(seen.bindings, identity))
    result.findings.extend(connections.secret_setting_findings(seen.secrets))
    result.findings.extend(connections.http_findings(seen.http))
    result.findings[:] = _one_per_line(result.findings)


def _one_per_line(findings: list[Finding]) -> list[Finding]:
    kept: dict[tuple[str, int, str], Finding] = {}
    for item in findings:
        key = (item.file, item.line, item.kind.value)
        old = kept.get(key)
        if old is None or (item.severity.rank, -catalog.ORDER.index(item.rule)) > (
            old.severity.rank,
            -catalog.ORDER.index(old.rule),
        ):
            kept[key] = item
    return list(kept.values())
