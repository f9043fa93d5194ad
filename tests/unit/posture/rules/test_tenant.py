"""ENT-FIC, ENT-WORKLOAD-CA, ENT-APP-GOVERNANCE, ENT-ROTATION-ROLE on recorded Graph answers.

Shapes: Microsoft Graph v1.0 application (``$expand=owners``), federatedIdentityCredential
(learn.microsoft.com/graph/api/resources/federatedidentitycredential: issuer, subject,
audiences), servicePrincipal, conditionalAccessPolicy (``conditions.clientApplications``),
authorizationPolicy (``defaultUserRolePermissions``), adminConsentRequestPolicy,
unifiedRoleAssignment with its roleDefinition expanded, and appRoleAssignment. Collections
are paged by the stub with ``@odata.nextLink``. The recording passes; each failure changes
one field.
"""

from __future__ import annotations

from typing import Any

import pytest

from posture.model import Status
from tests.support import recordings
from tests.support.cloud import StubCloud

REC = recordings.load("tenant")
APPS = {a["displayName"]: i for i, a in enumerate(REC["graph_collections"]["applications"])}
APP_IDS = {a["displayName"]: a["id"] for a in REC["graph_collections"]["applications"]}
ROTATION = {"POSTURE_ROTATION_PRINCIPAL_ID": REC["rotation_principal_id"]}
PREMIUM = {"POSTURE_WORKLOAD_ID_PREMIUM": "true"}


def _fics(app: str) -> str:
    return f"GET /v1.0/applications/{APP_IDS[app]}/federatedIdentityCredentials"


def _judge(stub: StubCloud, recording: dict[str, Any], rule_id: str, **env: str) -> Any:
    stub.use(recordings.model(recording))
    return stub.evaluate(rule_id, **env)[rule_id]


def test_every_tenant_rule_passes_the_recording(stub: StubCloud) -> None:
    stub.use(recordings.model(REC))
    results = stub.evaluate(
        "ENT-FIC",
        "ENT-WORKLOAD-CA",
        "ENT-APP-GOVERNANCE",
        "ENT-ROTATION-ROLE",
        **ROTATION,
        **PREMIUM,
    )
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(results, Status.PASS), results
    pages = [r for r in stub.model.requests if r["path"] == "/v1.0/applications"]
    assert pages
    assert pages[0]["query"]["$expand"] == "owners($select=id)"
    assert any(r["query"].get("$skiptoken") for r in pages)  # four apps, two a page


FIC_BREAKS = [
    ("pull request subject", ["responses", _fics("secretless-ci"), "value", 0, "subject"],
     "repo:contoso/secretless-app:pull_request", "GitHub subject trusts pull requests"),
    ("wildcard branch", ["responses", _fics("secretless-ci"), "value", 1, "subject"],
     "repo:contoso/secretless-app:ref:refs/heads/*",
     "GitHub subject not pinned to an environment or a branch/tag"),
    ("repository only", ["responses", _fics("secretless-ci"), "value", 0, "subject"],
     "repo:contoso/secretless-app", "GitHub subject not pinned to an environment or a branch/tag"),
    ("another audience", ["responses", _fics("secretless-ci"), "value", 0, "audiences"],
     ["api://AzureADTokenExchange", "api://other"], "audiences are not exactly api://AzureADTokenExchange"),
    ("unknown issuer", ["responses", _fics("secretless-ci"), "value", 1, "issuer"],
     "https://issuer.example.net", "issuer not in the allow-list"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "value", "problem"), FIC_BREAKS, ids=[b[0] for b in FIC_BREAKS]
)
def test_each_changed_field_fails_ent_fic(
    stub: StubCloud, case: str, path: list[Any], value: Any, problem: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "ENT-FIC")
    assert result.status is Status.FAIL, case
    assert [(e["app"], e["problem"]) for e in result.evidence] == [("secretless-ci", problem)]


def test_a_multi_tenant_app_with_a_certificate_must_federate_with_a_managed_identity(
    stub: StubCloud,
) -> None:
    path = ["responses", _fics("partner-connector"), "value"]
    result = _judge(stub, recordings.derive(REC, path, []), "ENT-FIC")
    assert result.status is Status.FAIL
    (item,) = result.evidence
    assert item["app"] == "partner-connector"
    assert "no managed identity federated credential" in str(item["problem"])
    # The same app single-tenant: a certificate alone is ENT-APP-SECRETS' and ENT-CRED-EXPIRY's.
    single = recordings.derive(REC, path, [])
    single = recordings.derive(
        single, ["graph_collections", "applications", APPS["partner-connector"], "signInAudience"],
        "AzureADMyOrg",
    )  # fmt: skip
    assert _judge(stub, single, "ENT-FIC").status is Status.PASS


def test_an_issuer_named_in_the_setting_is_allowed(stub: StubCloud) -> None:
    path = ["responses", _fics("secretless-ci"), "value", 1, "issuer"]
    other = recordings.derive(REC, path, "https://vstoken.dev.azure.com/0b1c2d3e")
    assert _judge(stub, other, "ENT-FIC").status is Status.FAIL
    allowed = "https://token.actions.githubusercontent.com,https://vstoken.dev.azure.com/0b1c2d3e"
    assert _judge(stub, other, "ENT-FIC", POSTURE_FIC_ISSUERS=allowed).status is Status.PASS


# -- ENT-WORKLOAD-CA --------------------------------------------------------------------------

CA = ["responses", "GET /v1.0/identity/conditionalAccess/policies", "value", 0]
CLIENTS = [*CA, "conditions", "clientApplications"]


@pytest.mark.parametrize(("case", "path", "value"), [
    ("policy report-only", [*CA, "state"], "enabledForReportingButNotEnforced"),
    ("no service principals", [*CLIENTS, "includeServicePrincipals"], []),
    ("the target excluded", [*CLIENTS, "excludeServicePrincipals"],
     ["d4000000-0000-4000-8000-000000000004"]),
])  # fmt: skip
def test_each_changed_field_leaves_the_credential_holder_uncovered(
    stub: StubCloud, case: str, path: list[Any], value: Any
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "ENT-WORKLOAD-CA", **PREMIUM)
    assert result.status is Status.FAIL, case
    assert "legacy-report" in result.message
    assert [e["service_principal"] for e in result.evidence] == ["legacy-report"]


def test_without_the_licence_workload_ca_is_skipped_not_failed(stub: StubCloud) -> None:
    bare = recordings.derive(REC, [*CA, "state"], "disabled")
    assert _judge(stub, bare, "ENT-WORKLOAD-CA").status is Status.SKIPPED


# -- ENT-APP-GOVERNANCE -----------------------------------------------------------------------

DEFAULTS = ["responses", "GET /v1.0/policies/authorizationPolicy", "defaultUserRolePermissions"]


@pytest.mark.parametrize(("case", "path", "value", "problem"), [
    ("users register apps", [*DEFAULTS, "allowedToCreateApps"], True, "users can register apps"),
    ("legacy user consent", [*DEFAULTS, "permissionGrantPoliciesAssigned"],
     ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"],
     "users may consent (ManagePermissionGrantsForSelf.microsoft-user-default-legacy)"),
    ("no admin consent workflow", ["responses", "GET /v1.0/policies/adminConsentRequestPolicy",
                                   "isEnabled"], False, "no admin consent workflow"),
    ("ownerless app", ["graph_collections", "applications", 1, "owners"], [], "no owner"),
    ("abandoned app", ["graph_collections", "applications", 3, "keyCredentials", 0, "endDateTime"],
     "2025-01-01T00:00:00Z", "every credential expired"),
])  # fmt: skip
def test_each_changed_field_fails_governance(
    stub: StubCloud, case: str, path: list[Any], value: Any, problem: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "ENT-APP-GOVERNANCE")
    assert result.status is Status.FAIL, case
    assert [e["problem"] for e in result.evidence] == [problem]


def test_low_impact_consent_for_verified_publishers_is_allowed(stub: StubCloud) -> None:
    low = ["ManagePermissionGrantsForSelf.microsoft-user-default-low"]
    allowed = recordings.derive(REC, [*DEFAULTS, "permissionGrantPoliciesAssigned"], low)
    assert _judge(stub, allowed, "ENT-APP-GOVERNANCE").status is Status.PASS


# -- ENT-ROTATION-ROLE ------------------------------------------------------------------------

ASSIGNMENT = ["responses", "GET /v1.0/roleManagement/directory/roleAssignments", "value", 0]
GRANTS = f"GET /v1.0/servicePrincipals/{REC['rotation_principal_id']}/appRoleAssignments"


@pytest.mark.parametrize(("case", "path", "value", "problem"), [
    ("tenant scope", [*ASSIGNMENT, "directoryScopeId"], "/", "scoped to the tenant"),
    ("built-in admin", [*ASSIGNMENT, "roleDefinition", "templateId"],
     "158c047a-c907-4556-b7ef-446551a6b5f7", "tenant-wide built-in role"),
    ("wider custom role", [*ASSIGNMENT, "roleDefinition", "rolePermissions", 0,
                           "allowedResourceActions"],
     ["microsoft.directory/applications/credentials/update",
      "microsoft.directory/applications/owners/update"],
     "no custom credential-update role scoped to an app"),
    ("Graph write permission", ["responses", GRANTS, "value", 0, "appRoleId"],
     "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "tenant-wide Graph permission"),
])  # fmt: skip
def test_each_changed_field_fails_the_rotation_role(
    stub: StubCloud, case: str, path: list[Any], value: Any, problem: str
) -> None:
    result = _judge(stub, recordings.derive(REC, path, value), "ENT-ROTATION-ROLE", **ROTATION)
    assert result.status is Status.FAIL, case
    assert problem in {e["problem"] for e in result.evidence}


def test_refused_is_an_error_off_is_unknown_and_a_declared_absence_skipped(
    stub: StubCloud,
) -> None:
    refused = recordings.model(REC)
    refused.graph_failure = (403, "Authorization_RequestDenied")
    stub.use(refused)
    rules = ("ENT-FIC", "ENT-WORKLOAD-CA", "ENT-APP-GOVERNANCE", "ENT-ROTATION-ROLE")
    results = stub.evaluate(*rules, **ROTATION, **PREMIUM)
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert "RoleManagement.Read.Directory" in results["ENT-ROTATION-ROLE"].message
    off = stub.evaluate(*rules, POSTURE_GRAPH_ENABLED="false", **ROTATION, **PREMIUM)
    assert {r.status for r in off.values()} == {Status.UNKNOWN}
    assert all("POSTURE_GRAPH_ENABLED" in r.message for r in off.values())
    assert stub.evaluate("ENT-ROTATION-ROLE")["ENT-ROTATION-ROLE"].status is Status.SKIPPED
