"""The CI identity may assign the template's roles and nothing else, unless its owner opts in.

infra/scripts/ci-identity-roles.sh runs against a recording ``az`` (tests/infra/fakecli.py).
By default it must give Role Based Access Control Administrator with a condition in the shape
of Microsoft's "Constrain roles and principal types" example (write judged on ``@Request``,
delete on ``@Resource``, ``ForAnyOfAnyValues:GuidEquals`` over role definition ids,
``ForAnyOfAnyValues:StringEqualsIgnoreCase`` over principal types:
https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples),
whose role ids are exactly those the template's role assignments grant
(tests/infra/role_assignments.py reads them from the parsed Bicep), and remove the User
Access Administrator that ``azd pipeline config`` grants by default ("By default the service
principal will be granted the Contributor and User Access Administrator roles", azd's
``--principal-role`` help). User Access Administrator only with ``--wide``.

Proven on generated positives: a template copy that assigns one more role than the condition
allows, a script copy whose condition allows one role the template never assigns, and a
script copy that defaults to User Access Administrator.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.infra import role_assignments as ra
from tests.infra.broken_copies import Breakage, BrokenCopy, broken_trees
from tests.infra.conftest import INFRA
from tests.support.fake_azure_cli import Tools

SCRIPT = INFRA / "scripts" / "ci-identity-roles.sh"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
ASSIGNEE = str(uuid.UUID(int=5))
SUBSCRIPTION = str(uuid.UUID(int=6))
AUTH = r"Microsoft\.Authorization/roleAssignments"
CLAUSE = re.compile(
    r"\(\(!\(ActionMatches\{'" + AUTH + r"/(?P<action>write|delete)'\}\)\)"
    r" OR \((?P<source>@Request|@Resource)\[" + AUTH + r":RoleDefinitionId\]"
    r" ForAnyOfAnyValues:GuidEquals \{(?P<ids>[^}]*)\}"
    r" AND (?P=source)\[" + AUTH + r":PrincipalType\]"
    r" ForAnyOfAnyValues:StringEqualsIgnoreCase \{(?P<types>[^}]*)\}\)\)"
)


def run(tmp_path: Path, *args: str, script: Path = SCRIPT) -> tuple[Tools, Any]:
    tools = Tools(
        tmp_path, [["az", ["role assignment list"], f"/subscriptions/{SUBSCRIPTION}/x"]], {}
    )
    proc = tools.run(script, {}, "--assignee", ASSIGNEE, "--subscription", SUBSCRIPTION, *args)
    return tools, proc


def creates(tools: Tools) -> list[list[str]]:
    return [c["args"] for c in tools.calls() if c["args"][:3] == ["role", "assignment", "create"]]


def flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def parse_condition(condition: str) -> dict[str, tuple[str, set[str], set[str]]]:
    """action -> (attribute source, role ids, principal types); fails on any other shape."""
    clauses = condition.split(" AND ((")
    assert len(clauses) == 2, condition
    parsed = {}
    for text in (clauses[0], "((" + clauses[1]):
        match = CLAUSE.fullmatch(text)
        assert match, f"not the documented shape: {text}"
        ids = {i.strip().lower() for i in match["ids"].split(",")}
        types = {t.strip().strip("'") for t in match["types"].split(",")}
        parsed[match["action"]] = (match["source"], ids, types)
    return parsed


def condition_problems(condition: str, template: dict[str, str]) -> list[str]:
    """How the condition departs from the roles the template assigns (empty: none)."""
    parsed = parse_condition(condition)
    problems = []
    for action, source in (("write", "@Request"), ("delete", "@Resource")):
        got_source, ids, types = parsed[action]
        if got_source != source:
            problems.append(f"{action}: judged on {got_source}, not {source}")
        if types != {"ServicePrincipal"}:
            problems.append(f"{action}: principal types {sorted(types)}")
        problems += [f"{action}: the template assigns {template[i]} ({i}), which the condition "
                     "does not allow" for i in sorted(set(template) - ids)]  # fmt: skip
        problems += [f"{action}: the condition allows {i}, which the template never assigns"
                     for i in sorted(ids - set(template))]  # fmt: skip
    return problems


def test_the_default_is_rbac_administrator_limited_to_the_templates_roles(
    tmp_path: Path, bicep: dict[str, Any]
) -> None:
    tools, proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    (create,) = creates(tools)
    assert flag(create, "--role") == RBAC_ADMINISTRATOR
    assert flag(create, "--assignee-object-id") == ASSIGNEE
    assert flag(create, "--assignee-principal-type") == "ServicePrincipal"
    assert flag(create, "--scope") == f"/subscriptions/{SUBSCRIPTION}"
    assert flag(create, "--condition-version") == "2.0"
    template = ra.assigned_role_ids(bicep)
    assert len(template) >= 10, template
    assert condition_problems(flag(create, "--condition"), template) == []
    # And the wide default of `azd pipeline config` is taken away.
    deletes = [
        c["args"] for c in tools.calls() if c["args"][:3] == ["role", "assignment", "delete"]
    ]
    assert deletes == [["role", "assignment", "delete", "--ids", f"/subscriptions/{SUBSCRIPTION}/x",
                        "--output", "none"]]  # fmt: skip
    listed = [c["args"] for c in tools.calls() if c["args"][:3] == ["role", "assignment", "list"]]
    assert flag(listed[0], "--role") == USER_ACCESS_ADMINISTRATOR


def test_a_resource_group_narrows_the_scope(tmp_path: Path) -> None:
    tools, proc = run(tmp_path, "--resource-group", "rg-dev")
    assert proc.returncode == 0, proc.stderr
    (create,) = creates(tools)
    assert flag(create, "--scope") == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-dev"


def test_the_wide_option_is_explicit_and_says_what_it_costs(tmp_path: Path) -> None:
    tools, proc = run(tmp_path, "--wide")
    assert proc.returncode == 0, proc.stderr
    (create,) = creates(tools)
    assert flag(create, "--role") == USER_ACCESS_ADMINISTRATOR
    assert "--condition" not in create
    assert "any role to anyone" in proc.stderr


def test_a_bad_assignee_is_refused_with_the_fix(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [], {})
    proc = tools.run(SCRIPT, {}, "--assignee", "my-app")
    assert proc.returncode == 2
    assert "az ad sp show" in proc.stderr
    assert not tools.calls()


# --- the check, proven on generated positives ----------------------------------------------


@pytest.fixture(scope="module")
def wider_template(tmp_path_factory: pytest.TempPathFactory, dump: dict[str, Any]) -> BrokenCopy:
    """A copy of infra/ whose posture grants also give Owner on the workspace."""
    breakage = Breakage(
        "one-more-role",
        "infra/modules/posture-rbac.bicep",
        "  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893'\n",
        f"  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893'\n  Owner: '{OWNER}'\n",
        f"write: the template assigns Owner ({OWNER}), which the condition does not allow",
        more=(("  'Log Analytics Reader'\n]", "  'Log Analytics Reader'\n  'Owner'\n]"),),
    )
    made = broken_trees(tmp_path_factory.mktemp("ci-roles"), [breakage], dump)
    copy: BrokenCopy = made[breakage.id]
    return copy


@pytest.mark.slow
def test_the_check_fails_when_the_template_assigns_a_role_the_condition_omits(
    tmp_path: Path, wider_template: BrokenCopy
) -> None:
    tools, _ = run(tmp_path)
    (create,) = creates(tools)
    template = ra.assigned_role_ids(wider_template.bicep)
    assert template[OWNER] == "Owner", "the copy assigns Owner"
    problems = condition_problems(flag(create, "--condition"), template)
    expected = f"write: the template assigns Owner ({OWNER}), which the condition does not allow"
    assert expected in problems, problems


def test_the_check_fails_when_the_condition_allows_a_role_the_template_never_assigns(
    tmp_path: Path, bicep: dict[str, Any]
) -> None:
    script = tmp_path / "ci-identity-roles.sh"
    shutil.copy2(SCRIPT, script)
    text = script.read_text()
    script.write_text(text.replace('ROLES="\n', f'ROLES="\n{OWNER} Owner\n', 1))
    tools, proc = run(tmp_path / "run", script=script)
    assert proc.returncode == 0, proc.stderr
    (create,) = creates(tools)
    problems = condition_problems(flag(create, "--condition"), ra.assigned_role_ids(bicep))
    assert f"delete: the condition allows {OWNER}, which the template never assigns" in problems


def test_the_check_fails_when_the_default_is_user_access_administrator(tmp_path: Path) -> None:
    script = tmp_path / "ci-identity-roles.sh"
    shutil.copy2(SCRIPT, script)
    text = script.read_text()
    script.write_text(text.replace("wide=false\n", "wide=true\n", 1))
    tools, _ = run(tmp_path / "run", script=script)
    (create,) = creates(tools)
    assert flag(create, "--role") != RBAC_ADMINISTRATOR
