"""docs/rotation.md and docs/deploy.md say what the template does, and what they instruct works.

- The rotation page's role table is the template's: each row (identity, role, scope) is a role
  assignment of infra/, and every assignment the rotation involves is a row. A table that
  gives the jobs API's read "the vault" as its scope, where the template grants it on the one
  secret, fails.
- The rotation page never sends anyone to the rotation app's admin endpoint while App Service
  Authentication requires a login for every path of that app (the platform answers 401 before
  the host: https://learn.microsoft.com/azure/app-service/overview-authentication-authorization).
- The documented reason for Key Vault Secrets Officer rests on purge protection: the test
  fails if the vault's purge protection is turned off.
- docs/deploy.md has its "Day two" section (down and up again, rotating the CI credential,
  turning the virtual network on later, each with its cost), cites what its assumptions rest
  on, and names only workflows and scripts that exist.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra import bicep_model as bm
from tests.infra.conftest import ROOT
from tests.infra.event_delivery import ROLE_ASSIGNMENTS, roles_of

ROTATION_DOC = ROOT / "docs" / "rotation.md"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"

WHO = {"jobs API": "appPrincipalId", "rotation": "identityPrincipalId",
       "system topic": "topicPrincipalId"}  # fmt: skip
WHERE = {
    "**the partner secret only**": {"partnerSecret", "partnerKey"},
    "its own account": {"account"},
    "Application Insights": {"appInsights"},
    "queue `key-events`": {"eventsQueue"},
    "container `rotation` (rotation account)": {"stateContainer"},
    "container `key-events-deadletter`": {"deadLetterContainer"},
    "the vault": {"vault"},
}
FILES = ("infra/modules/rotation.bicep", "infra/modules/rotation-events.bicep")


def documented(text: str) -> set[tuple[str, str, str]]:
    """(principal, role, scope text) of each row of the rotation page's role table."""
    table = text[text.index("| identity | role | scope | why |") :].split("\n\n")[0]
    rows = set()
    for line in table.splitlines()[2:]:
        who, roles, scope, _ = (cell.strip() for cell in line.strip("|").split("|"))
        for role in roles.split(", "):
            rows.add((WHO.get(who, who), role, scope))
    return rows


def granted(bicep: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(principal, role, scope symbol) of the assignments the rotation involves."""
    found = set()
    sources: list[tuple[dict[str, Any], set[str] | None]] = [(bicep[f], None) for f in FILES]
    sources.append((bicep["infra/modules/rbac.bicep"], {"partnerKey"}))  # the jobs API's read
    for tree, only in sources:
        for _, resource in bm.resources_of_type(tree, ROLE_ASSIGNMENTS):
            body = bm.body(resource)
            if only is not None and body.get("scope") not in only:
                continue
            principal = bm.render(body["properties"]["principalId"])
            found |= {(principal, role, body["scope"]) for role in roles_of(tree, resource)}
    return found


def table_problems(text: str, bicep: dict[str, Any]) -> list[str]:
    rows, grants = documented(text), granted(bicep)
    problems = []
    for who, role, scope in sorted(rows):
        symbols = WHERE.get(scope, set())
        if not any(g == (who, role, s) for s in symbols for g in grants):
            problems.append(f"the page says {who} has {role} on {scope}; the template does not")
    for who, role, symbol in sorted(grants):
        if not any(r[:2] == (who, role) and symbol in WHERE.get(r[2], set()) for r in rows):
            problems.append(f"the template gives {who} {role} on {symbol}; the page does not say")
    return problems


def admin_problems(text: str, bicep: dict[str, Any]) -> list[str]:
    tree = bicep["infra/modules/rotation.bicep"]
    (auth,) = [b for _, r in tree["resources"].items()
               if r["type"] == "Microsoft.Web/sites/config" and (b := bm.body(r))["name"] ==
               "authsettingsV2"]  # fmt: skip
    validation = auth["properties"]["globalValidation"]
    closed = validation.get("requireAuthentication") is True and not validation.get("excludedPaths")
    azure = text[text.index("## In Azure with `azd up`") :]
    steps = azure[azure.index("\n1. ") :].split("\n\n")[0]  # the numbered instructions
    told = re.findall(r"`POST /admin/[^`]*`", steps)
    return [f"sends readers to the admin endpoint: {t}" for t in told] if closed else []


def test_the_role_table_is_the_templates(bicep: dict[str, Any]) -> None:
    assert table_problems(ROTATION_DOC.read_text(encoding="utf-8"), bicep) == []
    assert len(documented(ROTATION_DOC.read_text(encoding="utf-8"))) >= 9


def test_the_table_check_fails_on_the_former_scope_of_the_apis_read(
    bicep: dict[str, Any],
) -> None:
    text = ROTATION_DOC.read_text(encoding="utf-8")
    row = "| jobs API | Key Vault Secrets User | **the partner secret only** |"
    assert row in text
    wrong = text.replace(row, "| jobs API | Key Vault Secrets User | the vault |")
    assert table_problems(wrong, bicep) == [
        "the page says appPrincipalId has Key Vault Secrets User on the vault; the template "
        "does not",
        "the template gives appPrincipalId Key Vault Secrets User on partnerKey; the page does "
        "not say",
    ]
    undocumented = text.replace(
        "| system topic | Storage Blob Data Contributor | container `key-events-deadletter` "
        "| dead-letter what it cannot deliver |\n",
        "",
    )
    assert table_problems(undocumented, bicep) == [
        "the template gives topicPrincipalId Storage Blob Data Contributor on "
        "deadLetterContainer; the page does not say"
    ]


def test_no_instruction_uses_the_rotation_apps_admin_endpoint(bicep: dict[str, Any]) -> None:
    text = ROTATION_DOC.read_text(encoding="utf-8")
    assert admin_problems(text, bicep) == []
    former = text.replace(
        "then set it back to `0 30 2 * * *`).",
        "then set it back to `0 30 2 * * *`), or run the timer "
        "(`POST /admin/functions/rotation_timer` on the rotation app).",
    )
    assert former != text
    assert admin_problems(former, bicep), "the check must catch the former instruction"


def test_the_reason_for_secrets_officer_rests_on_purge_protection(bicep: dict[str, Any]) -> None:
    text = ROTATION_DOC.read_text(encoding="utf-8")
    section = text[text.index("### Why Secrets Officer, and not a custom role") :]
    for action in ("getSecret", "readMetadata", "setSecret", "delete", "back up", "restore"):
        assert action in section, action
    vault = bicep["infra/modules/keyvault.bicep"]["resources"]["vault"]
    assert bm.body(vault)["properties"]["enablePurgeProtection"] is True
    assert bm.body(vault)["properties"]["enableSoftDelete"] is True


DAY_TWO = (
    "### Down and up again",
    "### Rotating the CI credential",
    "### Turning the virtual network on later",
)
# Where an Azure or GitHub behaviour is assumed, the page names its source.
SOURCES = (
    "https://github.com/Azure/azure-cli/issues/28708",  # the OIDC assertion is not renewed
    "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting",  # 10 minutes
    "https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples",
    "https://learn.microsoft.com/azure/event-grid/deliver-events-using-managed-identity",
    "https://learn.microsoft.com/entra/identity-platform/access-tokens#token-lifetime",
    "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
)


def day_two_problems(text: str) -> list[str]:
    if "## Day two" not in text:
        return ["no 'Day two' section"]
    section = text[text.index("## Day two") :]
    section = section.split("\n## ")[0]
    problems = []
    for heading in DAY_TWO:
        if heading not in section:
            problems.append(f"no '{heading}'")
            continue
        part = section[section.index(heading) :].split("\n### ")[0]
        if "Cost" not in part and "cost" not in part:
            problems.append(f"'{heading}' does not say what it costs")
    return problems


def test_deploy_has_its_day_two_section() -> None:
    assert day_two_problems(DEPLOY_DOC.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("heading", DAY_TWO)
def test_the_day_two_check_fails_without_a_part(heading: str) -> None:
    text = DEPLOY_DOC.read_text(encoding="utf-8").replace(heading, "### Something else")
    assert f"no '{heading}'" in day_two_problems(text)


def test_deploy_cites_what_its_assumptions_rest_on() -> None:
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    missing = [s for s in SOURCES if s not in text]
    assert not missing, missing


def test_the_docs_name_only_workflows_and_scripts_that_exist() -> None:
    for doc in (DEPLOY_DOC, ROTATION_DOC):
        text = doc.read_text(encoding="utf-8")
        named = re.findall(r"(?:\.github/workflows|infra/scripts|infra/hooks)/[\w.-]+", text)
        for name in set(named):
            assert (ROOT / name).exists(), f"{doc.name} names {name}, which does not exist"
    assert ".github/workflows/azure-dev.yml" in DEPLOY_DOC.read_text(encoding="utf-8")
