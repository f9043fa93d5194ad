"""The resource settings that make the deployment refuse keys and anonymous callers.

checkov covers many of these; these tests state the ones the design depends on, including
those checkov cannot see (Flex Consumption's functionAppConfig, authsettingsV2).
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from blueprints.http.openapi import SCHEME
from blueprints.openapi import document
from tests.infra import bicep_model as bm
from tests.infra.conftest import INFRA


def required_roles() -> set[str]:
    """Every app role an operation requires, as the API's contracts declare it
    (blueprints/contracts, through the OpenAPI document built from them)."""
    return {
        role
        for operations in document()["paths"].values()
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for role in requirement.get(SCHEME, [])
    }


def only(tree: dict[str, Any], type_: str) -> dict[str, Any]:
    found = list(bm.resources_of_type(tree, type_))
    assert len(found) == 1, f"expected one {type_}, found {[s for s, _ in found]}"
    return bm.body(found[0][1])


def test_storage_accepts_only_entra_tokens_over_tls12(bicep: dict[str, Any]) -> None:
    props = only(bicep["infra/modules/storage.bicep"], "Microsoft.Storage/storageAccounts")[
        "properties"
    ]
    assert props["allowSharedKeyAccess"] is False
    assert props["defaultToOAuthAuthentication"] is True
    assert props["allowBlobPublicAccess"] is False
    assert props["isLocalUserEnabled"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True


def test_both_accounts_come_from_the_hardened_module(bicep: dict[str, Any]) -> None:
    main = bicep["infra/main.bicep"]
    for symbol in ("hostStorage", "jobsStorage"):
        assert main["modules"][symbol]["detail"]["path"] == "modules/storage.bicep", symbol
    for path, tree in bicep.items():
        if path != "infra/modules/storage.bicep":
            assert not list(bm.resources_of_type(tree, "Microsoft.Storage/storageAccounts")), path


def test_key_vault_uses_rbac_soft_delete_and_purge_protection(bicep: dict[str, Any]) -> None:
    props = only(bicep["infra/modules/keyvault.bicep"], "Microsoft.KeyVault/vaults")["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert "accessPolicies" not in props


def test_monitoring_has_local_auth_disabled(bicep: dict[str, Any]) -> None:
    tree = bicep["infra/modules/monitoring.bicep"]
    workspace = only(tree, "Microsoft.OperationalInsights/workspaces")
    assert bm.get(workspace, "properties", "features", "disableLocalAuth") is True
    component = only(tree, "Microsoft.Insights/components")
    assert component["properties"]["DisableLocalAuth"] is True


def test_function_app_is_flex_python311_with_identity_deployment(bicep: dict[str, Any]) -> None:
    tree = bicep["infra/modules/function-app.bicep"]
    plan = only(tree, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    site = only(tree, "Microsoft.Web/sites")
    assert site["identity"]["type"] == "UserAssigned"
    props = site["properties"]
    assert props["httpsOnly"] is True
    config = props["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    auth = config["deployment"]["storage"]["authentication"]
    assert auth["type"] == "UserAssignedIdentity"
    assert auth["userAssignedIdentityResourceId"] == "identityId"
    assert set(config["scaleAndConcurrency"]) >= {"maximumInstanceCount", "instanceMemoryMB"}
    site_config = props["siteConfig"]
    assert site_config["minTlsVersion"] == "1.2"
    # Flex Consumption rejects siteConfig.ftpsState (the Flex Consumption plan deprecations
    # table, https://learn.microsoft.com/azure/azure-functions/functions-app-settings
    # #flex-consumption-plan-deprecations): FTP is off through basicPublishingCredentialsPolicies
    # (test_basic_publishing_credentials_are_disabled) and the property must stay out.
    assert "ftpsstate" not in {k.lower() for k in site_config}


def test_basic_publishing_credentials_are_disabled(bicep: dict[str, Any]) -> None:
    tree = bicep["infra/modules/function-app.bicep"]
    policies = {
        bm.body(r)["name"]: bm.body(r)["properties"]["allow"]
        for _, r in bm.resources_of_type(
            tree, "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
        )
    }
    assert policies == {"ftp": False, "scm": False}


def test_entra_authentication_guards_every_function_but_health(bicep: dict[str, Any]) -> None:
    tree = bicep["infra/modules/function-app.bicep"]
    configs = [bm.body(r) for _, r in bm.resources_of_type(tree, "Microsoft.Web/sites/config")]
    (auth,) = [c for c in configs if c["name"] == "authsettingsV2"]
    props = auth["properties"]
    assert props["platform"]["enabled"] is True
    validation = props["globalValidation"]
    assert validation["requireAuthentication"] is True
    assert validation["unauthenticatedClientAction"] == "Return401"
    assert sorted(validation["excludedPaths"]) == ["/api/health", "/api/openapi.json"]
    aad = props["identityProviders"]["azureActiveDirectory"]
    assert aad["enabled"] is True
    assert aad["registration"]["clientId"] == "apiClientId"
    assert "clientSecretSettingName" not in aad["registration"]
    assert "clientSecretCertificateThumbprint" not in aad["registration"]
    assert "api://${apiClientId}" in aad["validation"]["allowedAudiences"]


def test_app_registration_exposes_the_app_roles() -> None:
    roles = json.loads((INFRA / "hooks" / "app-roles.json").read_text(encoding="utf-8"))
    assert {r["value"] for r in roles} == required_roles()
    assert len({r["id"] for r in roles}) == len(roles), "app role ids must be unique"
    assert all(r["isEnabled"] for r in roles)


def undeclared_roles(texts: dict[str, str], declared: set[str]) -> list[str]:
    """``file:line role`` for every role-shaped name (a declared role's namespace, a dot, a
    capitalised word) in ``texts`` that no operation requires."""
    namespaces = "|".join(sorted({re.escape(role.split(".")[0]) for role in declared}))
    shape = re.compile(rf"\b(?:{namespaces})\.[A-Z][A-Za-z]+\b")
    return [
        f"{name}:{number} {found}"
        for name, text in sorted(texts.items())
        for number, line in enumerate(text.splitlines(), start=1)
        for found in shape.findall(line)
        if found not in declared
    ]


def test_every_role_the_repository_names_is_one_the_api_requires() -> None:
    """The roles are decided once, in blueprints/contracts; the devstack, the smoke check,
    the benchmarks, the hooks and the docs spell them, and spell them right. (Tests are not
    read: they name roles nobody holds on purpose.)"""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "*.py", "*.md", "*.json", "*.bicep", "*.sh", "*.ps1", "*.yaml"],
        cwd=INFRA.parent,
        check=True,
        capture_output=True,
    ).stdout.decode()
    texts = {
        name: (INFRA.parent / name).read_text(encoding="utf-8")
        for name in listed.split("\0")
        if name and not name.startswith("tests/") and (INFRA.parent / name).is_file()
    }
    assert len(texts) > 100
    assert undeclared_roles(texts, required_roles()) == []


def test_the_role_scan_names_a_misspelt_role() -> None:
    text = "TOKEN=$(python -m devstack token --role Jobs.Submitter)\nsee Posture.Read\n"
    assert undeclared_roles({"x.md": text}, {"Jobs.Submit", "Posture.Read"}) == [
        "x.md:1 Jobs.Submitter"
    ]
