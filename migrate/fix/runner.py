"""``fix(PATH, --out DIR)``: copy, fix what can be fixed safely, report the rest.

Order matters: the code is fixed first (it decides which identity settings the code reads),
then the settings files (connections of bindings and of the migrated code), then the
templates, the role assignment module and the workflows. The copy is scanned before and
after, so the report states how many findings the copy still has and why each one is left.
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

from migrate.fix import cifix, codefix, codeplan, infrafix, reasons, rolesmodule, settingsfix
from migrate.fix.copytree import check_paths, copy
from migrate.fix.report import FixReport
from migrate.model import Finding, Kind, ScanResult
from migrate.roles import CLIENT_ROLES, HOST_STORAGE_ROLES, for_binding
from migrate.scan import pyfacts
from migrate.scan.bindings import HOST_STORAGE
from migrate.scan.runner import Collected, scan, scan_details
from migrate.tree import kind_of

APP_MARKERS = ("host.json", "function_app.py")


def fix(source: Path, out: Path, *, client_id: str | None = None) -> FixReport:
    src, dst = check_paths(source, out)
    report = FixReport(source=src, out=dst)
    report.findings_before = len(scan(src).findings)
    copy(src, dst, report)
    result, seen = scan_details(dst)
    needs = settingsfix.needs_for(seen.bindings, seen.identity_prefixes())
    role_needs = _binding_roles(seen)
    helper_roots = _fix_code(dst, result, needs, role_needs, report)
    _fix_settings(dst, result, seen, needs, report, client_id)
    _fix_infra(dst, result, needs, report)
    _write_roles(dst, result, role_needs, report)
    _fix_ci(dst, result, report)
    for root in sorted(helper_roots):
        helper = root / f"{codefix.HELPER_MODULE}.py"
        helper.write_text(codefix.helper_source(client_id=bool(client_id)), encoding="utf-8")
        report.changed(
            helper.relative_to(dst).as_posix(), "added: the app's one lazily built credential"
        )
    after = scan(dst)
    report.findings_after = len(after.findings)
    for finding in after.sorted_findings():
        report.leave(finding.file, finding.line, finding.rule, reasons.why(finding))
    _next_steps(report, result)
    report.write()
    return report


def _app_root(out: Path, relative: str) -> Path:
    """The directory of the app a file belongs to: the nearest one with host.json or
    function_app.py (the Functions script root, which Python imports from)."""
    path = (out / relative).parent
    while True:
        if any((path / marker).exists() for marker in APP_MARKERS) or path == out:
            return path
        path = path.parent


def _fix_code(
    out: Path,
    result: ScanResult,
    needs: settingsfix.Needs,
    role_needs: list[rolesmodule.Need],
    report: FixReport,
) -> set[Path]:
    by_file: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.kind == Kind.CODE:
            by_file.setdefault(finding.file, []).append(finding)
    roots: set[Path] = set()
    for relative, findings in sorted(by_file.items()):
        path = out / relative
        text = path.read_text(encoding="utf-8")
        plan = codeplan.plan(text)
        literal_lines = {f.line for f in findings if f.rule == "MIG-CODE-LITERAL"}
        constants = pyfacts.collect(ast.parse(text)).constants
        fixed = codefix.apply(text, plan, constants=constants, literal_lines=literal_lines)
        if not fixed.changed_lines:
            continue
        compile(fixed.source, relative, "exec")  # the fix never writes code that does not parse
        path.write_text(fixed.source, encoding="utf-8")
        for line, what in fixed.changed_lines:
            report.changed(f"{relative}:{line}", what)
        for setting, service in plan.settings.items():
            needs.add_setting(setting, service)
            prefix = setting.rpartition("__")[0]
            need = CLIENT_ROLES.get(service, ())
            role_needs.append(
                rolesmodule.Need(service, prefix, need, None, f"the client in {relative}")
            )
        if fixed.uses_helper:
            roots.add(_app_root(out, relative))
    return roots


def _binding_roles(seen: Collected) -> list[rolesmodule.Need]:
    """Every binding's roles (an identity-based one needs them as much as a migrated one)."""
    found = []
    for binding in seen.bindings:
        need = for_binding(binding.service, binding.direction)
        why = f"{binding.binding_type} of {binding.function}"
        found.append(
            rolesmodule.Need(binding.service, binding.connection, need.roles, binding.entity, why)
        )
    return found


def _fix_settings(
    out: Path,
    result: ScanResult,
    seen: Collected,
    needs: settingsfix.Needs,
    report: FixReport,
    client_id: str | None,
) -> None:
    migrating = set(needs.by_connection)
    blank: dict[str, set[str]] = {}
    for finding in result.findings:
        secret = finding.rule in {"MIG-SET-SECRET", "MIG-SET-KEYED", "MIG-SET-KVREF"}
        if secret and finding.setting and finding.setting not in migrating:
            blank.setdefault(finding.file, set()).add(finding.setting)
    files = sorted({entry.file for entry in seen.entries})
    for relative in files:
        directory = PurePosixPath(relative).parent
        scoped = settingsfix.Needs(
            {
                connection: wanted
                for connection, wanted in needs.by_connection.items()
                if _used_under(connection, directory, seen, result)
            }
        )
        settingsfix.fix_file(
            out / relative,
            relative,
            scoped,
            blank.get(relative, set()),
            report,
            client_id=client_id,
        )
    served = {_app_root(out, f) for f in files}
    users = [b.file for b in seen.bindings] + [
        f.file for f in result.findings if f.kind == Kind.CODE
    ]
    for root in sorted({_app_root(out, f) for f in users} - served):
        if (
            root == out
            and not (root / "host.json").exists()
            and not (root / "function_app.py").exists()
        ):
            continue  # not an app directory: no settings file belongs here
        relative = (root / "local.settings.json").relative_to(out).as_posix()
        if settingsfix.create_file(out / relative, needs, client_id=client_id):
            report.changed(relative, "added: the identity-based settings the app needs locally")


def _used_under(
    connection: str, directory: PurePosixPath, seen: Collected, result: ScanResult
) -> bool:
    """Whether code or a binding under ``directory`` uses ``connection`` (a settings file
    serves the app in its directory)."""
    inside = [b.file for b in seen.bindings if b.connection == connection]
    inside += [f.file for f in result.findings if f.setting and f.setting.startswith(connection)]
    return (
        connection == HOST_STORAGE
        or any(
            directory == PurePosixPath(".") or directory in PurePosixPath(f).parents for f in inside
        )
        or not inside
    )


def _fix_infra(out: Path, result: ScanResult, needs: settingsfix.Needs, report: FixReport) -> None:
    wanted = {connection: dict(suffixes) for connection, suffixes in needs.by_connection.items()}
    wanted.setdefault(HOST_STORAGE, {s: "storage" for s in settingsfix.LOCAL_STORAGE})
    by_file: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.kind == Kind.INFRA and infrafix.keyed(finding):
            by_file.setdefault(finding.file, []).append(finding)
    for relative, findings in sorted(by_file.items()):
        if kind_of(relative) == "bicep":
            infrafix.fix_bicep(out / relative, relative, findings, wanted, report)
        else:
            infrafix.fix_arm(out / relative, relative, findings, wanted, report)


def _write_roles(
    out: Path, result: ScanResult, role_needs: list[rolesmodule.Need], report: FixReport
) -> None:
    needs = list(role_needs)
    if result.model != "none" or any(f.kind == Kind.INFRA for f in result.findings):
        needs.insert(
            0,
            rolesmodule.Need(
                "storage",
                HOST_STORAGE,
                HOST_STORAGE_ROLES,
                None,
                "host storage (leases, timers, keys)",
            ),
        )
    for finding in result.findings:
        if finding.service == "third-party" and finding.kind in {Kind.CODE, Kind.SETTINGS}:
            needs.append(
                rolesmodule.Need(
                    "third-party",
                    "vault",
                    CLIENT_ROLES["third-party"],
                    None,
                    f"reading {finding.setting or 'a secret'} from Key Vault",
                )
            )
        elif finding.rule == "MIG-INFRA-AIKEY":
            needs.append(
                rolesmodule.Need(
                    "appinsights",
                    "appinsights",
                    CLIENT_ROLES["appinsights"],
                    None,
                    "telemetry with Entra ID",
                )
            )
    if not needs:
        return
    text, rows = rolesmodule.render(needs)
    infra = out / "infra"
    bicep_dirs = sorted(
        {(out / f.file).parent for f in result.findings if f.file.endswith(".bicep")}
    )
    target = infra if infra.is_dir() else (bicep_dirs[0] if bicep_dirs else infra)
    target.mkdir(parents=True, exist_ok=True)
    path = target / "migrate-roles.bicep"
    path.write_text(text, encoding="utf-8")
    report.roles.extend(rows)
    report.changed(
        path.relative_to(out).as_posix(),
        f"added: {len(rows)} role assignment(s) for the app's identity",
    )


def _fix_ci(out: Path, result: ScanResult, report: FixReport) -> None:
    by_file: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.kind == Kind.CI:
            by_file.setdefault(finding.file, []).append(finding)
    for relative, findings in sorted(by_file.items()):
        cifix.fix_workflow(out / relative, relative, findings, report)


def _next_steps(report: FixReport, result: ScanResult) -> None:
    if report.roles:
        report.next_steps.append(
            "Deploy migrate-roles.bicep from your main template: module roles "
            "'migrate-roles.bicep' = { params: { principalId: <function app>.identity.principalId, "
            "<account names> } }, and give the function app a managed identity if it has none."
        )
    if any(f.kind == Kind.CI for f in result.findings):
        report.next_steps.append(
            "Create a federated credential for the workflow (az ad app federated-credential "
            "create, subject repo:<owner>/<repo>:ref:refs/heads/main) and set the repository "
            "variables AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID; delete the old "
            "secrets."
        )
    if report.redacted or any(f.severity.value == "critical" for f in result.findings):
        report.next_steps.append("Rotate every secret the input held: they were in its files.")
    report.next_steps.append(f"Run: python -m migrate verify {report.out}")
