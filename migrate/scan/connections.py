"""Bindings resolved against the settings, and HTTP auth levels resolved against the app.

A trigger or binding is identity-based when some setting ``<connection>__<property>`` is set
(in a settings file or by the templates): the Functions host then builds a credential for it
(learn.microsoft.com/azure/azure-functions/functions-reference, "Configure an identity-based
connection"). Otherwise it reads ``<connection>`` as a connection string, which carries a
key: a finding on the binding's line with the roles that binding needs.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from migrate import catalog, roles
from migrate.model import Finding, Kind, Severity
from migrate.scan.bindings import Binding, SecretSetting
from migrate.scan.pybindings import KEYED_LEVELS, HttpFacts

_ROLE_NOTE = {
    "connectionStringSetting": " (Cosmos DB extension 4.x names it `connection`)",
    "connection_string_setting": " (Cosmos DB extension 4.x names it `connection`)",
}


def binding_findings(bindings: list[Binding], identity_prefixes: set[str]) -> list[Finding]:
    found = []
    for binding in bindings:
        if binding.connection in identity_prefixes:
            continue
        need = roles.for_binding(binding.service, binding.direction)
        rule = catalog.rule("MIG-SET-BINDING")
        note = _ROLE_NOTE.get(binding.property, "")
        found.append(
            Finding(
                rule=rule.id,
                kind=Kind.SETTINGS,
                service=binding.service,
                file=binding.file,
                line=binding.line,
                severity=rule.severity,
                message=f"{binding.binding_type} ({binding.direction}) of {binding.function} reads "
                f"{binding.connection} as a connection string{note}",
                replacement=catalog.replacement(rule.id, binding.service, binding.connection),
                roles=need.roles,
                docs=need.docs,
                connection=binding.connection,
                direction=binding.direction,
            )
        )
    return found


def secret_setting_findings(secrets: list[SecretSetting]) -> list[Finding]:
    rule = catalog.rule("MIG-SET-SECRET")
    return [
        Finding(
            rule=rule.id,
            kind=Kind.SETTINGS,
            service=s.service,
            file=s.file,
            line=s.line,
            severity=rule.severity,
            message=f"{s.property} names {s.setting}, a setting holding a key",
            replacement=catalog.replacement(rule.id, s.service, s.setting),
            setting=s.setting,
        )
        for s in secrets
    ]


def http_findings(http: HttpFacts) -> list[Finding]:
    rule = catalog.rule("MIG-INFRA-AUTHLEVEL")

    def make(file: str, line: int, message: str) -> Finding:
        return Finding(
            rule=rule.id,
            kind=Kind.INFRA,
            service="functions",
            file=file,
            line=line,
            severity=Severity.MEDIUM,
            message=message,
            replacement=rule.replacement,
            docs=roles.DOCS["functions"],
        )

    found = [
        make(f, line, f"route with auth_level {level}: callers send a key")
        for f, line, level in http.keyed_routes
    ]
    owners = _route_owners(http)
    for file, line, cls, level in http.apps:
        if level not in KEYED_LEVELS:
            continue
        if cls != "FunctionApp":
            found.append(make(file, line, f"{cls} serves its routes at auth level {level}"))
        elif owners.get(file):
            what = f"the app's default auth level is {level} and {owners[file]} route(s) set none"
            found.append(make(file, line, what))
    return found


def _route_owners(http: HttpFacts) -> dict[str, int]:
    """Open routes per app file: a route belongs to the app whose directory holds it most
    closely (a repository may hold several apps); with one app, every route is its own."""
    apps = [file for file, _, _, _ in http.apps]
    counts: dict[str, int] = {}
    for route in http.open_routes:
        route_dir = PurePosixPath(route).parent
        holders = [a for a in apps if PurePosixPath(a).parent in (route_dir, *route_dir.parents)]
        if holders:
            owner = max(holders, key=lambda a: len(PurePosixPath(a).parent.parts))
        elif len(apps) == 1:
            owner = apps[0]
        else:
            continue
        counts[owner] = counts.get(owner, 0) + 1
    return counts
