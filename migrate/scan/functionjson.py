"""v1 apps: each function's ``function.json`` (bindings, connections, HTTP auth level)."""

from __future__ import annotations

from pathlib import PurePosixPath

from migrate import catalog, roles
from migrate.model import Finding, Kind, Problem
from migrate.scan import jsonpos
from migrate.scan.bindings import (
    CONNECTION_PROPERTIES,
    SECRET_PROPERTIES,
    Binding,
    SecretSetting,
    classify,
    default_connection,
    entity_of,
)
from migrate.tree import SourceFile

KEYED_LEVELS = frozenset({"function", "admin"})


BindingsAndFindings = tuple[list[Binding], list[SecretSetting], list[Finding]]


def scan(source: SourceFile) -> BindingsAndFindings | Problem:
    try:
        document = jsonpos.parse(source.text)
    except ValueError as exc:
        return Problem(source.relative, f"not valid JSON ({exc}); function not scanned")
    bindings_node = document.get("bindings") if isinstance(document.value, dict) else None
    if bindings_node is None or not isinstance(bindings_node.value, list):
        return Problem(source.relative, 'has no "bindings" list; function not scanned')
    function = PurePosixPath(source.relative).parent.name or "(root)"
    bindings: list[Binding] = []
    secrets: list[SecretSetting] = []
    findings: list[Finding] = []
    for node in bindings_node.items:
        if not isinstance(node.value, dict):
            continue
        binding_type = str(node.value.get("type", ""))
        if binding_type.lower() == "httptrigger":
            level = str(node.value.get("authLevel", "function")).lower()
            if level in KEYED_LEVELS:
                line = node.key_line("authLevel") or node.key_line("type") or node.line
                findings.append(_auth_finding(source.relative, line, level))
            continue
        for secret_prop, secret_service in SECRET_PROPERTIES.items():
            if isinstance(node.value.get(secret_prop), str) and node.value[secret_prop]:
                where = node.key_line(secret_prop) or node.line
                setting = node.value[secret_prop]
                secrets.append(
                    SecretSetting(source.relative, where, secret_service, setting, secret_prop)
                )
        classified = classify(binding_type, str(node.value.get("direction", "in")))
        if classified is None:
            continue
        service, direction = classified
        prop = next((p for p in CONNECTION_PROPERTIES if node.value.get(p)), None)
        if prop is not None:
            name = str(node.value[prop])
            line = node.key_line(prop) or node.line
        else:
            default = default_connection(service)
            if default is None:
                continue
            name, line = default, node.key_line("type") or node.line
        entity = entity_of(node.value)
        bindings.append(
            Binding(
                source.relative,
                line,
                service,
                direction,
                name,
                binding_type,
                function,
                "v1",
                prop or "",
                entity,
            )
        )
    return bindings, secrets, findings


def _auth_finding(file: str, line: int, level: str) -> Finding:
    rule = catalog.rule("MIG-INFRA-AUTHLEVEL")
    return Finding(
        rule=rule.id,
        kind=Kind.INFRA,
        service="functions",
        file=file,
        line=line,
        severity=rule.severity,
        message=f"HTTP trigger with authLevel {level}: callers send a key",
        replacement=rule.replacement,
        docs=roles.DOCS["functions"],
    )
