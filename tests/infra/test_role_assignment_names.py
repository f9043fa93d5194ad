"""Every role assignment is named from its scope, its principal and its role, and its principal
is a parameter of its file (tests/infra/role_assignments.py cites why: a recreated identity
must get new assignments, RoleAssignmentUpdateNotPermitted otherwise).

Proven on generated broken copies: the rotation's assignments named as they once were
(``guid(account.id, 'rotation', role)``, no principal), an assignment named without its
principal, one named for the subscription instead of its group, and one whose principal is a
runtime property of a resource.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import role_assignments as ra
from tests.infra.broken_copies import Breakage, BrokenCopy, broken_trees

ROTATION = "infra/modules/rotation.bicep"

BREAKAGES = [
    Breakage(
        "no-principal-in-rotation-name",
        ROTATION,
        "  name: guid(account.id, identityPrincipalId, roleIds[role])\n",
        "  name: guid(account.id, 'rotation', roleIds[role])\n",
        f"{ROTATION}: rotationStorage: named ['account.id', 'rotation', 'roleIds[role]'], "
        "not guid(account.id, identityPrincipalId, roleIds[role])",
    ),
    Breakage(
        "no-principal-in-rbac-name",
        "infra/modules/rbac.bicep",
        "  name: guid(hostStorage.id, appPrincipalId, roleIds[role])\n",
        "  name: guid(hostStorage.id, roleIds[role])\n",
        "infra/modules/rbac.bicep: appHostStorage: named ['hostStorage.id', 'roleIds[role]']",
    ),
    Breakage(
        "wrong-scope-in-name",
        "infra/modules/posture-rbac.bicep",
        "  name: guid(resourceGroup().id, appPrincipalId, roleIds[role])\n",
        "  name: guid(workspace.id, appPrincipalId, roleIds[role])\n",
        "appGroup: named ['workspace.id', 'appPrincipalId', 'roleIds[role]'], "
        "not guid(resourceGroup().id, appPrincipalId, roleIds[role])",
    ),
    Breakage(
        "runtime-principal",
        ROTATION,
        "  name: guid(stateContainer.id, appPrincipalId, roleIds[role])\n"
        "  scope: stateContainer\n"
        "  properties: {\n"
        "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions',"
        " roleIds[role])\n"
        "    principalId: appPrincipalId\n",
        "  name: guid(stateContainer.id, topic.identity.principalId, roleIds[role])\n"
        "  scope: stateContainer\n"
        "  properties: {\n"
        "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions',"
        " roleIds[role])\n"
        "    principalId: topic.identity.principalId\n",
        "appState: its principal topic.identity.principalId is not a parameter of the file",
    ),
]


def test_every_assignment_is_named_from_scope_principal_and_role(bicep: dict[str, Any]) -> None:
    assert ra.name_findings(bicep) == []


def test_the_check_sees_every_assignment(bicep: dict[str, Any]) -> None:
    files = {path for path, *_ in ra.assignments(bicep)}
    assert files == {
        "infra/modules/rbac.bicep",
        "infra/modules/posture-rbac.bicep",
        "infra/modules/rotation.bicep",
        "infra/modules/rotation-events.bicep",
    }
    assert len(list(ra.assignments(bicep))) >= 20


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, dump: dict[str, Any]) -> dict[str, BrokenCopy]:
    return broken_trees(tmp_path_factory.mktemp("names"), BREAKAGES, dump)


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.id)
def test_the_check_fails_on_a_broken_copy(
    copies: dict[str, BrokenCopy], breakage: Breakage
) -> None:
    findings = ra.name_findings(copies[breakage.id].bicep)
    assert any(breakage.expect in f for f in findings), (
        f"{breakage.id}: no finding '{breakage.expect}'; got:\n" + "\n".join(findings)
    )
