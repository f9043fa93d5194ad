"""Every role assignment of infra/, read from the parsed Bicep: its name, its roles, its role ids.

Two things are derived here and checked by the tests:

- **names**: each assignment is named ``guid(<its scope>.id, <its principal>, roleIds[<role>])``.
  Azure identifies a role assignment by its name, and refuses to move an existing name to a
  new principal ("Tenant ID, application ID, principal ID, and scope are not allowed to be
  updated", RoleAssignmentUpdateNotPermitted): when an identity is deleted and created again,
  an assignment named without its principal collides with the old one. The documented fix is
  a GUID built from the scope, the principal id and the role id together
  (https://learn.microsoft.com/azure/role-based-access-control/troubleshooting, "ARM template
  role assignment returns BadRequest status"). A name must be known when the deployment
  starts, so the principal is a parameter of the file, never a runtime property such as
  ``topic.identity.principalId`` (a module hands those over as parameters);
- **role ids**: the set of built-in role definition ids the template assigns, which the CI
  identity's role-assignment condition must list exactly (infra/scripts/ci-identity-roles.sh).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.infra import bicep_model as bm
from tests.infra.event_delivery import ROLE_ASSIGNMENTS, roles_of

Trees = dict[str, dict[str, Any]]


def assignments(trees: Trees) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(file, symbol, resource, file tree) of every declared role assignment."""
    for path, tree in sorted(trees.items()):
        for symbol, resource in bm.resources_of_type(tree, ROLE_ASSIGNMENTS):
            yield path, symbol, resource, tree


def _scope_id(body: dict[str, Any]) -> str:
    """How the name should spell the scope's id: ``<scope>.id``, or the group's."""
    return f"{body['scope']}.id" if "scope" in body else "resourceGroup().id"


def _render_id(node: Any) -> str:
    function = node.get("function") if isinstance(node, dict) else None
    if function and function.get("type") == "resource_group" and function.get("property_name"):
        return f"resourceGroup().{function['property_name']}"
    return bm.render(node)


def name_findings(trees: Trees) -> list[str]:
    """Assignments not named guid(scope id, principal, role id), or named from a runtime value."""
    findings = []
    for path, symbol, resource, tree in assignments(trees):
        body = bm.body(resource)
        where = f"{path}: {symbol}"
        principal = bm.render(body["properties"]["principalId"])
        function = body["name"].get("function", {}) if isinstance(body["name"], dict) else {}
        parts = [v for v in (function.get("parameters") or {}).values() if v is not None]
        item = (resource["config"].get("loop_type") or {}).get("detail", {}).get("item_name")
        expected = [_scope_id(body), principal, f"roleIds[{item}]"]
        got = [_render_id(p) for p in parts]
        if function.get("type") != "guid" or got != expected:
            findings.append(
                f"{where}: named {got or bm.render(body['name'])}, not guid({', '.join(expected)})"
            )
        if principal not in tree.get("parameters", {}):
            findings.append(
                f"{where}: its principal {principal} is not a parameter of the file, so its "
                "name cannot be known when the deployment starts"
            )
    return findings


def assigned_role_ids(trees: Trees) -> dict[str, str]:
    """Role definition id -> role name, for every role any assignment of the template grants."""
    found: dict[str, str] = {}
    for _, _, resource, tree in assignments(trees):
        table = bm.unquote_keys(tree["variables"]["roleIds"]["value"])
        for role in roles_of(tree, resource):
            found[str(table[role]).lower()] = role
    return found
