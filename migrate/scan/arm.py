"""ARM JSON templates: the same resource rules as Bicep, on a JSON tree with line numbers."""

from __future__ import annotations

from migrate.model import Finding
from migrate.scan import jsonpos
from migrate.scan.infrarules import (
    AI_AUTH,
    AI_CONNECTION,
    AI_KEY,
    KEYED_TEXT,
    LIST_CALL,
    LOCAL_AUTH,
    STORAGE_ACCOUNT,
    VAULT,
    VAULT_POLICIES,
    finding,
    keep_strongest,
    list_service,
)


def is_template(document: jsonpos.Node) -> bool:
    schema = document.value.get("$schema", "") if isinstance(document.value, dict) else ""
    return isinstance(schema, str) and "deploymentTemplate" in schema


def scan(document: jsonpos.Node, file: str) -> tuple[list[Finding], set[str]]:
    """Findings of one template, and the identity-based setting names it sets."""
    found: list[Finding] = []
    identity_names: set[str] = set()
    for resource in _resources(document):
        _resource(resource, file, found)
    settings_text = " ".join(n.value for n in document.walk() if isinstance(n.value, str))
    for node in document.walk():
        if isinstance(node.value, dict):
            name = node.value.get("name")
            if isinstance(name, str) and "__" in name:
                identity_names.add(name)
            if name == AI_KEY or (name == AI_CONNECTION and AI_AUTH not in settings_text):
                found.append(
                    finding(
                        "MIG-INFRA-AIKEY",
                        file,
                        node.key_line("name") or node.line,
                        "appinsights",
                        f"{name}: telemetry with the instrumentation key",
                    )
                )
            value = node.get("value")
            if isinstance(name, str) and value is not None and isinstance(value.value, str):
                _value(value, file, name, found)
        elif isinstance(node.value, str) and node.value.startswith("["):
            _value(node, file, None, found)
    return keep_strongest(found), identity_names


def _resources(document: jsonpos.Node) -> list[jsonpos.Node]:
    found: list[jsonpos.Node] = []
    pending = [document]
    while pending:
        node = pending.pop()
        resources = node.get("resources") if isinstance(node.value, dict) else None
        if resources is None:
            continue
        children = resources.items or [child for _, child in resources.members.values()]
        for child in children:
            if isinstance(child.value, dict):
                found.append(child)
                pending.append(child)
    return found


def _resource(node: jsonpos.Node, file: str, found: list[Finding]) -> None:
    kind = str(node.value.get("type", "")).lower()
    line = node.key_line("type") or node.line
    props = node.get("properties")
    members = props.members if props is not None and isinstance(props.value, dict) else {}
    if kind == STORAGE_ACCOUNT:
        setting = members.get("allowSharedKeyAccess")
        if setting is None or setting[1].value is not False:
            where = setting[0] if setting else line
            found.append(
                finding(
                    "MIG-INFRA-SHAREDKEY",
                    file,
                    where,
                    "storage",
                    "Shared Key access is not turned off",
                )
            )
    elif kind in LOCAL_AUTH:
        setting = members.get("disableLocalAuth")
        if setting is None or setting[1].value is not True:
            where = setting[0] if setting else line
            found.append(
                finding(
                    "MIG-INFRA-LOCALAUTH",
                    file,
                    where,
                    LOCAL_AUTH[kind],
                    "local (key) authentication is on",
                )
            )
    elif kind == VAULT:
        policies = members.get("accessPolicies")
        rbac = members.get("enableRbacAuthorization")
        if (
            policies
            and policies[1].value not in ([], None)
            and not (rbac and rbac[1].value is True)
        ):
            found.append(
                finding(
                    "MIG-INFRA-KVPOLICY",
                    file,
                    policies[0],
                    "keyvault",
                    "access policies grant the vault's secrets",
                )
            )
    elif kind == VAULT_POLICIES:
        found.append(
            finding(
                "MIG-INFRA-KVPOLICY",
                file,
                line,
                "keyvault",
                "an access policy grants the vault's secrets",
            )
        )
    elif kind.endswith("/eventsubscriptions"):
        destination = props.get("destination") if props is not None else None
        endpoint = destination.get("endpointType") if destination is not None else None
        if endpoint is not None and str(endpoint.value).lower() == "webhook":
            where = destination.key_line("endpointType") or endpoint.line  # type: ignore[union-attr]
            found.append(
                finding(
                    "MIG-INFRA-WEBHOOK", file, where, "eventgrid", "events delivered to a webhook"
                )
            )
    elif kind.endswith("/functions") and props is not None:
        for child in props.walk():
            level = child.value.get("authLevel") if isinstance(child.value, dict) else None
            if isinstance(level, str) and level.lower() in {"function", "admin"}:
                found.append(
                    finding(
                        "MIG-INFRA-AUTHLEVEL",
                        file,
                        child.key_line("authLevel") or child.line,
                        "functions",
                        f"HTTP trigger with authLevel {level}",
                    )
                )


def _value(node: jsonpos.Node, file: str, setting: str | None, found: list[Finding]) -> None:
    text = str(node.value)
    if LIST_CALL.search(text):
        service = list_service(text, setting, None)
        what = f"{setting} set from a list*() call" if setting else "keys read with a list*() call"
        found.append(finding("MIG-INFRA-LISTKEYS", file, node.line, service, what, setting=setting))
    elif KEYED_TEXT.search(text):
        service = list_service(text, setting, None)
        found.append(
            finding(
                "MIG-INFRA-KEYEDCONN",
                file,
                node.line,
                service,
                "a connection string with a key is built",
                setting=setting,
            )
        )
