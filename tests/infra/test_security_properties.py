"""The resource settings that make the deployment refuse keys and anonymous callers.

checkov covers many of these; these tests state the ones the design depends on, including
those checkov cannot see (Flex Consumption's functionAppConfig, authsettingsV2).
"""

from __future__ import annotations

import json
from typing import Any

from tests.infra import bicep_model as bm
from tests.infra.conftest import INFRA

APP_ROLES = {"Jobs.Submit", "Jobs.Admin", "Posture.Read", "Posture.Admin"}


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
    assert {r["value"] for r in roles} == APP_ROLES
    assert len({r["id"] for r in roles}) == len(roles), "app role ids must be unique"
    assert all(r["isEnabled"] for r in roles)
