"""MI-LEAST-PRIVILEGE and DEF-PLANS against recorded Authorization and Security answers.

Shapes: Role Assignments - List For Resource Group (``$filter=principalId eq``: assignments
"at, above or below the scope"), Role Definitions - Get (Microsoft.Authorization 2022-04-01;
learn.microsoft.com/rest/api/authorization/role-assignments/list-for-resource-group;
azure-mgmt-authorization models RoleAssignment, RoleDefinition, Permission) and Pricings -
List (Microsoft.Security 2024-01-01). The recording passes; each failure changes one field.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from posture.model import Status
from tests.support import recordings
from tests.support.cloud import SUB, StubCloud

REC = recordings.load("access")
RG = f"/subscriptions/{SUB}/resourceGroups/rg-app"
ASSIGNMENTS = f"GET {RG}/providers/Microsoft.Authorization/roleAssignments"
PRICINGS = f"GET /subscriptions/{SUB}/providers/Microsoft.Security/pricings"
BLOB_ROLE = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
PRINCIPAL = REC["resource_graph"][0]["identity"]["userAssignedIdentities"]
PRINCIPAL_ID = next(iter(PRINCIPAL.values()))["principalId"]


def _judge(stub: StubCloud, recording: dict[str, Any], rule_id: str = "MI-LEAST-PRIVILEGE") -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(rule_id)[rule_id]


def test_the_recorded_grants_pass_reading_every_page_for_the_apps_identity(stub: StubCloud) -> None:
    result = _judge(stub, REC)
    assert result.status is Status.PASS, result
    assert "3 role assignment(s) of 1 identity(ies)" in result.message
    lists = stub.requests("/roleAssignments")
    assert [r["query"].get("$skiptoken") for r in lists] == [None, "1"]
    assert lists[0]["query"]["$filter"] == f"principalId eq '{PRINCIPAL_ID}'"
    assert lists[0]["query"]["api-version"] == "2022-04-01"


def _assignment(page: int, item: int, *field: str) -> list[Any]:
    return ["responses", ASSIGNMENTS, page, "value", item, "properties", *field]


BLOB_ROLE_PATH = [
    "responses",
    f"GET {RG}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_ROLE}",
]
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-app"
BREAKS = [
    ("owner role", _assignment(0, 0, "roleDefinitionId"),
     f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
     {"privileged role Owner", "action * (every operation, keys and access included)"}),
    ("subscription scope", _assignment(1, 0, "scope"), f"/subscriptions/{SUB}",
     {"assigned at a subscription"}),
    ("management group scope", _assignment(1, 0, "scope"),
     "/providers/Microsoft.Management/managementGroups/corp", {"assigned at a management group"}),
    ("key listing action", [*BLOB_ROLE_PATH, "properties", "permissions", 0, "actions", 0],
     "Microsoft.Storage/storageAccounts/listKeys/action",
     {"key-listing action(s) Microsoft.Storage/storageAccounts/listKeys/action"}),
    ("a wildcard that covers listKeys",
     [*BLOB_ROLE_PATH, "properties", "permissions", 0, "actions", 0],
     "Microsoft.Storage/storageAccounts/*",
     {"key-listing action(s) Microsoft.Storage/storageAccounts/listKeys/action, "
      "Microsoft.Storage/storageAccounts/regeneratekey/action, "
      "Microsoft.Storage/storageAccounts/ListAccountSas/action, "
      "Microsoft.Storage/storageAccounts/ListServiceSas/action"}),
    ("role assignment write", [*BLOB_ROLE_PATH, "properties", "permissions", 0, "actions", 1],
     "Microsoft.Authorization/roleAssignments/write",
     {"access-changing action(s) Microsoft.Authorization/roleAssignments/write"}),
    ("secret values of the whole vault", _assignment(0, 1, "scope"), VAULT,
     {f"reads every secret value under {VAULT}"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "path", "value", "problems"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_changed_field_fails_naming_the_problem(
    stub: StubCloud, case: str, path: list[Any], value: str, problems: set[str]
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value))
    assert result.status is Status.FAIL, case
    assert {e["problem"] for e in result.evidence} == problems
    assert {e["app"] for e in result.evidence} == {"func-app"}


def test_a_wildcard_that_grants_no_key_is_not_key_listing(stub: StubCloud) -> None:
    """Storage Blob Data Owner's actions end in ``containers/*``: every container operation,
    none that lists a key (Azure built-in roles reference, Storage Blob Data Owner)."""
    path = [*BLOB_ROLE_PATH, "properties", "permissions", 0, "actions", 0]
    owner_like = recordings.derive(
        REC, path, "Microsoft.Storage/storageAccounts/blobServices/containers/*"
    )
    assert _judge(stub, owner_like).status is Status.PASS


def test_a_not_action_takes_back_what_a_wildcard_grants(stub: StubCloud) -> None:
    path = [*BLOB_ROLE_PATH, "properties", "permissions", 0]
    wide = recordings.derive(REC, [*path, "actions", 0], "Microsoft.Storage/storageAccounts/*")
    narrowed = recordings.derive(
        wide,
        [*path, "notActions"],
        [
            "Microsoft.Storage/storageAccounts/list*",
            "Microsoft.Storage/storageAccounts/regeneratekey/action",
        ],
    )
    assert _judge(stub, narrowed).status is Status.PASS


def test_an_app_without_identity_has_nothing_to_judge(stub: StubCloud) -> None:
    result = _judge(stub, recordings.derive(REC, ["resource_graph", 0, "identity"], None))
    assert result.status is Status.SKIPPED
    assert "APP-IDENTITY" in result.message
    assert not stub.requests("/roleAssignments")


def test_refused_is_an_error(stub: StubCloud) -> None:
    refused = recordings.model(REC)
    refused.arm_failure = (403, "AuthorizationFailed")
    stub.use(refused)
    results = stub.evaluate("MI-LEAST-PRIVILEGE", "DEF-PLANS")
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert all("HTTP 403" in r.message for r in results.values())


def test_defender_plans_pass_when_all_four_are_standard(stub: StubCloud) -> None:
    assert _judge(stub, REC, "DEF-PLANS").status is Status.PASS


@pytest.mark.parametrize(("index", "plan"), [(1, "AppServices"), (2, "KeyVaults"), (4, "Arm")])
def test_a_plan_on_free_fails(stub: StubCloud, index: int, plan: str) -> None:
    path = ["responses", PRICINGS, "value", index, "properties", "pricingTier"]
    result = _judge(stub, recordings.derive(REC, path, "Free"), "DEF-PLANS")
    assert result.status is Status.FAIL
    assert [(e["plan"], e["pricingTier"]) for e in result.evidence] == [(plan, "Free")]


SUB_ASSIGNMENTS = f"GET /subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"
SUB_ROLES = f"GET /subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions"


def test_two_owners_and_a_narrow_custom_role_pass_sub_admins(stub: StubCloud) -> None:
    result = _judge(stub, REC, "SUB-ADMINS")
    assert result.status is Status.PASS, result
    assert result.evidence[0] == {"subscription": SUB, "owners": 2, "user_access_admins": 0}
    (listing,) = stub.requests("/roleAssignments")
    assert listing["query"]["$filter"] == "atScope()"


def _owner(index: int) -> dict[str, Any]:
    item: dict[str, Any] = copy.deepcopy(REC["responses"][SUB_ASSIGNMENTS]["value"][0])
    item["id"] = item["id"][:-1] + str(index)
    return item


SUB_BREAKS = [
    ("four owners", ["responses", SUB_ASSIGNMENTS, "value"],
     [*REC["responses"][SUB_ASSIGNMENTS]["value"], _owner(7), _owner(8)], "4 Owners (at most 3)"),
    ("a standing user access administrator",
     ["responses", SUB_ASSIGNMENTS, "value", 2, "properties", "roleDefinitionId"],
     f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
     "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
     "1 standing User Access Administrator assignment(s)"),
    ("an owner-like custom role",
     ["responses", SUB_ROLES, "value", 0, "properties", "permissions", 0, "actions", 1], "*",
     "custom role grants every action (*)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "problem"), SUB_BREAKS, ids=[b[0] for b in SUB_BREAKS]
)
def test_each_subscription_administration_problem_fails(
    stub: StubCloud, case: str, path: list[Any], value: Any, problem: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "SUB-ADMINS")
    assert result.status is Status.FAIL, case
    assert [e["problem"] for e in result.evidence] == [problem]


def test_an_owner_inherited_from_a_management_group_is_not_the_subscriptions_own(
    stub: StubCloud,
) -> None:
    # The fourth recorded Owner is assigned at a management group: atScope() lists it (it
    # applies here), but it is not one of the subscription's own Owners.
    inherited = REC["responses"][SUB_ASSIGNMENTS]["value"][3]["properties"]["scope"]
    assert inherited.startswith("/providers/Microsoft.Management/managementGroups/")
    assert _judge(stub, REC, "SUB-ADMINS").evidence[0]["owners"] == 2
