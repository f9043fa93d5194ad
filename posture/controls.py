"""The anchors' controls: what prowler, PSRule for Azure and Azure Policy each check that bears
on a secretless Functions deployment, the rules that judge each one, and the coverage.

``prowler`` names its checks (``m365:`` marks its Microsoft 365 provider), ``psrule`` its
rules, ``policy`` the built-in definitions by their names (GUIDs), as read from those
projects' own sources. docs/posture.md's coverage table is held to :data:`CONTROLS` by a
test, and the coverage it claims is :func:`coverage` of it. Longer than the other modules on
purpose: it is one table, kept whole so a control and its rules are read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Judged = Literal["full", "part", "out"]


@dataclass(frozen=True, slots=True)
class Control:
    """One control an anchor tool defines, the rules that judge it and how completely."""

    name: str
    prowler: tuple[str, ...]
    psrule: tuple[str, ...]
    policy: tuple[str, ...]
    rules: tuple[str, ...]
    judged: Judged
    note: str = ""


def _c(
    name: str,
    prowler: str,
    psrule: str,
    policy: str,
    rules: str,
    judged: Judged = "full",
    note: str = "",
) -> Control:
    def split(text: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in text.split(",") if p.strip())

    return Control(name, split(prowler), split(psrule), split(policy), split(rules), judged, note)


#: Every control of the three anchors that bears on a secretless Functions deployment.
#: prowler ids are its check names (``m365:`` marks its Microsoft 365 provider); PSRule ids
#: its rule names; policy ids the built-in definitions' names (GUIDs).
CONTROLS: Final[tuple[Control, ...]] = (
    _c(
        "storage refuses shared key access",
        "storage_account_key_access_disabled",
        "Azure.Storage.LocalAuth",
        "8c6a50c6-9ffd-4ae7-986f-5fa6111f9a54",
        "STG-SHAREDKEY",
    ),
    _c(
        "storage defaults to Entra authorization",
        "storage_default_to_entra_authorization_enabled",
        "",
        "",
        "STG-KEY-HYGIENE",
    ),
    _c(
        "no cross-tenant object replication",
        "storage_cross_tenant_replication_disabled",
        "",
        "92a89a79-6c52-4a7e-a03f-61306fc49312",
        "STG-KEY-HYGIENE",
    ),
    _c(
        "storage keys rotate within 90 days",
        "storage_key_rotation_90_days",
        "",
        "",
        "STG-KEY-HYGIENE",
    ),
    _c(
        "storage account keys not expired",
        "",
        "",
        "044985bb-afe1-42cd-8a36-9d5d42424537",
        "STG-KEY-HYGIENE",
    ),
    _c(
        "SAS expiration policy configured",
        "",
        "",
        "bc1b984e-ddae-40cc-801a-050a030e4fbe",
        "STG-KEY-HYGIENE",
    ),
    _c(
        "SAS valid 7 days at most",
        "",
        "",
        "7aa1c9d5-3d7e-4579-8117-d85e99211757",
        "STG-KEY-HYGIENE",
    ),
    _c(
        "no anonymous blob access",
        "storage_blob_public_access_level_is_disabled",
        "Azure.Storage.BlobPublicAccess",
        "4fa4b6c0-31ca-4c0d-b10d-24b96f62a751",
        "STG-PUBLIC",
    ),
    _c(
        "storage secure transfer",
        "storage_secure_transfer_required_is_enabled",
        "Azure.Storage.SecureTransfer",
        "404c3081-a854-4457-ae30-26a93ef643f9",
        "STG-TLS",
    ),
    _c(
        "storage TLS 1.2",
        "storage_ensure_minimum_tls_version_12",
        "Azure.Storage.MinTLS",
        "fe83a0eb-a853-422d-aac2-1bffd182c5d0",
        "STG-TLS",
    ),
    _c(
        "storage public network access restricted",
        "storage_account_public_network_access_disabled, "
        "storage_default_network_access_rule_is_denied",
        "Azure.Storage.Firewall",
        "b2982f36-99f2-4db5-8eff-283140c09693, 34c877ad-507e-4c82-993e-3452a6e0ad3c",
        "NET-PUBLIC",
        note="against the declared mode; private means public access disabled",
    ),
    _c(
        "storage private endpoints",
        "storage_ensure_private_endpoints_in_storage_accounts",
        "",
        "6edd7eda-6dd8-40f7-810d-67160c639cd9",
        "NET-PUBLIC",
        note="private mode",
    ),
    _c(
        "Key Vault RBAC permission model",
        "keyvault_rbac_enabled",
        "Azure.KeyVault.RBAC",
        "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",
        "KV-RBAC",
    ),
    _c(
        "Key Vault recoverable",
        "keyvault_recoverable",
        "Azure.KeyVault.SoftDelete, Azure.KeyVault.PurgeProtect",
        "1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d, 0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",
        "KV-PROTECT",
    ),
    _c(
        "Key Vault audit log",
        "keyvault_logging_enabled",
        "Azure.KeyVault.Logs",
        "cf820ca0-f99e-4f3e-84fb-66e913812d21",
        "KV-AUDIT",
    ),
    _c(
        "Key Vault public network access restricted",
        "keyvault_access_only_through_private_endpoints",
        "Azure.KeyVault.Firewall",
        "55615ac9-af46-4a59-874e-391cc3dfb490, 405c5871-3e91-4644-8a63-58e19d68ff5b",
        "NET-PUBLIC",
        note="private mode wants public access disabled, stricter than a firewall",
    ),
    _c(
        "Key Vault private link",
        "keyvault_private_endpoints",
        "",
        "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9",
        "NET-PUBLIC",
        note="private mode",
    ),
    _c(
        "secrets have an expiration date",
        "keyvault_rbac_secret_expiration_set, keyvault_non_rbac_secret_expiration_set",
        "",
        "98728c90-32c7-4049-8429-847dc0f4fe37",
        "KV-SECRET-NOEXPIRY",
    ),
    _c(
        "secrets not about to expire",
        "",
        "",
        "b0eb591a-5e70-4534-a8bf-04b9c489584a",
        "KV-SECRET-EXPIRING",
    ),
    _c(
        "secrets not active too long",
        "",
        "",
        "e8d99835-8a06-45ae-a8e0-87a91941ccfe",
        "KV-SECRET-STALE",
    ),
    _c(
        "secrets' maximum validity",
        "",
        "",
        "342e8053-e12e-4c44-be01-c3c2f318400f",
        "KV-SECRET-STALE",
    ),
    _c(
        "keys have an expiration date",
        "keyvault_rbac_key_expiration_set, keyvault_key_expiration_set_in_non_rbac",
        "",
        "152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0",
        "KV-KEYS",
    ),
    _c(
        "keys rotate by policy",
        "keyvault_key_rotation_enabled",
        "Azure.KeyVault.AutoRotationPolicy",
        "d8cf8476-a2ec-4916-896e-992351803c44",
        "KV-KEYS",
    ),
    _c("keys not about to expire", "", "", "5ff38825-c5d8-47c5-b70e-069a21955146", "KV-KEYS"),
    _c("keys' maximum validity", "", "", "49a22571-d204-4c91-a7b6-09b1a586fbc9", "KV-KEYS"),
    _c(
        "app uses a managed identity",
        "app_function_identity_is_configured, app_register_with_identity",
        "Azure.AppService.ManagedIdentity",
        "0da106f2-4ca3-48e8-bc85-c638fe6aea8f, 2b9ad585-36bc-4615-b300-fd4435808332, "
        "4a15c15f-90d5-4a1f-8b63-2903944963fd",
        "APP-IDENTITY",
    ),
    _c(
        "FTP basic publishing credentials off",
        "app_ftp_deployment_disabled",
        "",
        "871b205b-57cf-4e1e-a234-492616998bf7, ec71c0bc-6a45-4b1f-9587-80dc83e6898c",
        "APP-BASICAUTH",
    ),
    _c(
        "SCM basic publishing credentials off",
        "",
        "",
        "aede300b-d67f-480a-ae26-4b3dfb1a1fdc, 847ef871-e2fe-4e6e-907e-4adbf71de5cf",
        "APP-BASICAUTH",
    ),
    _c(
        "FTPS only",
        "app_function_ftps_deployment_disabled",
        "Azure.AppService.WebSecureFtp",
        "399b2637-a50f-4f95-96f8-3a145476eb15, e1a09430-221d-4d4c-a337-1edb5a1fa9bb",
        "APP-TRANSPORT, APP-BASICAUTH",
        note="Flex rejects ftpsState: its FTP is APP-BASICAUTH's",
    ),
    _c(
        "HTTPS only",
        "app_function_ensure_http_is_redirected_to_https",
        "Azure.AppService.UseHTTPS",
        "6d555dd1-86f2-4f1c-8ed7-5abae7c6cbab, 5e5dbe3f-2702-4ffc-8b1e-0cae008a5c71",
        "APP-TRANSPORT",
    ),
    _c(
        "latest TLS",
        "app_minimum_tls_version_12",
        "Azure.AppService.MinTLS",
        "f9d614c5-c173-4d56-95a7-b4437057d193, deb528de-8f89-4101-881c-595899253102",
        "APP-TRANSPORT",
    ),
    _c(
        "remote debugging off",
        "",
        "Azure.AppService.RemoteDebug",
        "0e60b895-3786-45da-8377-9c6b4b6ac5f9, 89691ef9-8c50-49a8-8950-9c7fba41699e",
        "APP-TRANSPORT",
    ),
    _c(
        "authentication enabled",
        "app_ensure_auth_is_set_up",
        "",
        "c75248c1-ea1d-4a9c-8fc9-29a6aabd5da8",
        "APP-AUTH, RT-AUTH-PROBE",
        note="stricter: refusing action, paths, tenant, audiences, no secret, proven by a probe",
    ),
    _c(
        "function access keys",
        "app_function_access_keys_configured",
        "",
        "",
        "APP-FUNC-AUTH",
        note="judged with the secretless verdict: no function may need a key",
    ),
    _c(
        "app identity without admin privileges",
        "app_function_identity_without_admin_privileges",
        "",
        "",
        "MI-LEAST-PRIVILEGE",
        note="and no key-listing or access-changing operation",
    ),
    _c(
        "app not publicly accessible",
        "app_function_not_publicly_accessible",
        "",
        "969ac98b-88a8-449f-883c-2e9adb123127, 11c82d0c-db9f-4d7b-97c5-f3f9aa957da2",
        "NET-PUBLIC",
        note="against the declared mode",
    ),
    _c(
        "app integrated with a virtual network",
        "app_function_vnet_integration_enabled",
        "",
        "",
        "NET-PUBLIC",
        note="private mode",
    ),
    _c("Flex deployment storage with an identity", "", "", "", "APP-DEPLOY-STORAGE"),
    _c(
        "Application Insights refuses local auth",
        "",
        "Azure.AppInsights.LocalAuth",
        "199d5677-e4d9-4264-9465-efe1839c06bd",
        "AI-LOCALAUTH, RT-AI-AUTH",
    ),
    _c(
        "Application Insights not public",
        "",
        "",
        "1bc02227-0cb6-4e11-8f53-eb0b22eab7e8",
        "NET-PUBLIC",
        note="against the declared mode",
    ),
    _c(
        "Log Analytics refuses non-Entra ingestion",
        "",
        "",
        "e15effd4-2278-4c65-a0da-4d6f6d1890e2",
        "LOG-LOCALAUTH",
    ),
    _c(
        "Service Bus local auth off",
        "",
        "Azure.ServiceBus.DisableLocalAuth",
        "cfb11c26-f069-4c14-8e36-56c394dae5af",
        "DATA-LOCALAUTH",
    ),
    _c(
        "Event Hubs local auth off",
        "",
        "Azure.EventHub.DisableLocalAuth",
        "5d4e3c65-4873-47be-94f3-6f8b953a3598",
        "DATA-LOCALAUTH",
    ),
    _c(
        "Cosmos DB local auth off",
        "cosmosdb_account_use_aad_and_rbac",
        "Azure.Cosmos.DisableLocalAuth",
        "5450f5bd-9c72-4390-a9c4-a7aba4edfdd2",
        "DATA-LOCALAUTH",
    ),
    _c(
        "App Configuration local auth off",
        "",
        "Azure.AppConfig.DisableLocalAuth",
        "b08ab3ca-1062-4db3-8803-eec9cae605d6",
        "DATA-LOCALAUTH",
    ),
    _c(
        "Redis without access keys",
        "",
        "Azure.Redis.EntraID, Azure.Redis.LocalAuth",
        "3827af20-8f80-4b15-8300-6db0873ec901",
        "DATA-LOCALAUTH",
    ),
    _c(
        "AI services key access off",
        "",
        "Azure.AI.DisableLocalAuth",
        "71ef260a-8f18-47b7-abcb-62d0673d94dc",
        "DATA-LOCALAUTH",
    ),
    _c(
        "registry admin user off",
        "containerregistry_admin_user_disabled",
        "Azure.ACR.AdminUser",
        "dc921057-6b28-4fbe-9b83-f7bec05db6c2",
        "DATA-LOCALAUTH",
    ),
    _c(
        "SQL Entra-only authentication",
        "sqlserver_azuread_administrator_enabled",
        "Azure.SQL.AAD, Azure.SQL.AADOnly",
        "b3a22bc9-66de-45fb-98fa-00f5df42f41a, abda6d70-9778-44e7-84a8-06713e6db027",
        "DATA-LOCALAUTH",
        note="Entra-only, stricter than an Entra administrator",
    ),
    _c(
        "Event Grid topics local auth off",
        "",
        "Azure.EventGrid.DisableLocalAuth",
        "ae9fb87f-8a17-4428-94a4-8135d431055c",
        "EG-LOCALAUTH",
    ),
    _c(
        "Event Grid domains local auth off",
        "",
        "Azure.EventGrid.DisableLocalAuth",
        "8bfadddb-ee1c-4639-8911-a38cb8e0b3bd",
        "EG-LOCALAUTH",
    ),
    _c(
        "Event Grid delivers with a managed identity",
        "",
        "Azure.EventGrid.ManagedIdentity",
        "",
        "EG-DELIVERY",
    ),
    _c(
        "Defender for App Service",
        "defender_ensure_defender_for_app_services_is_on",
        "Azure.Defender.AppServices",
        "2913021d-f2fd-4f3d-b958-22354e2bdbcb",
        "DEF-PLANS",
    ),
    _c(
        "Defender for Key Vault",
        "defender_ensure_defender_for_keyvault_is_on",
        "Azure.Defender.KeyVault",
        "0e6763cc-5078-4e64-889d-ff4d9a839047",
        "DEF-PLANS",
    ),
    _c(
        "Defender for Storage",
        "defender_ensure_defender_for_storage_is_on",
        "Azure.Defender.Storage, Azure.Storage.DefenderCloud",
        "640d2586-54d2-465f-877f-9ffc1d2109f4",
        "DEF-PLANS",
        note="the subscription plan",
    ),
    _c(
        "Defender for Resource Manager",
        "defender_ensure_defender_for_arm_is_on",
        "Azure.Defender.Arm",
        "c3d20c29-b36d-48fe-808b-99a87530ad99",
        "DEF-PLANS",
    ),
    _c(
        "subscription owners limited",
        "",
        "Azure.RBAC.LimitOwner",
        "4f11b553-d42e-4e3a-89be-32ca364cad4c",
        "SUB-ADMINS",
    ),
    _c(
        "User Access Administrator restricted",
        "iam_role_user_access_admin_restricted",
        "",
        "",
        "SUB-ADMINS, MI-LEAST-PRIVILEGE",
    ),
    _c(
        "no owner-like custom roles",
        "iam_subscription_roles_owner_custom_not_created",
        "",
        "",
        "SUB-ADMINS",
    ),
    _c(
        "custom RBAC roles audited",
        "",
        "",
        "a451c1ef-c6ca-483d-87ed-f49761e3ffb5",
        "SUB-ADMINS, MI-LEAST-PRIVILEGE",
        "part",
        "owner-like custom roles fail and those the apps hold are judged by what they grant; "
        "other custom roles are not listed",
    ),
    _c(
        "no inheritance from management groups",
        "",
        "Azure.RBAC.LimitMGDelegation",
        "",
        "MI-LEAST-PRIVILEGE",
        "part",
        "for the apps' identities only",
    ),
    _c(
        "no secret in deployment outputs",
        "",
        "Azure.Deployment.OutputSecretValue",
        "",
        "DEPLOY-SECRETS",
        note="in the history, after the fact",
    ),
    _c(
        "no secret in deployment parameters",
        "",
        "Azure.Deployment.SecureParameter, Azure.Deployment.SecretLeak, "
        "Azure.Deployment.SecureValue",
        "",
        "DEPLOY-SECRETS",
        note="in the history, after the fact",
    ),
    _c(
        "app credentials not expired",
        "entra_app_registration_credential_not_expired",
        "",
        "",
        "ENT-CRED-EXPIRY",
    ),
    _c(
        "client secrets unused",
        "m365:entra_app_registration_client_secret_unused",
        "",
        "",
        "ENT-APP-SECRETS",
        note="stricter: no client secret or symmetric key at all",
    ),
    _c(
        "default app management policy",
        "m365:entra_default_app_management_policy_enabled",
        "",
        "",
        "ENT-APP-POLICY",
        note="and custom policies, and restrictions in force now",
    ),
    _c(
        "users cannot register apps",
        "entra_policy_ensure_default_user_cannot_create_apps",
        "",
        "",
        "ENT-APP-GOVERNANCE",
    ),
    _c(
        "user consent restricted",
        "entra_policy_restricts_user_consent_for_apps, entra_policy_user_consent_for_verified_apps",
        "",
        "",
        "ENT-APP-GOVERNANCE",
    ),
    _c(
        "admin consent workflow",
        "m365:entra_admin_consent_workflow_enabled",
        "",
        "",
        "ENT-APP-GOVERNANCE",
    ),
    _c(
        "federated credentials from allowed issuers",
        "",
        "",
        "2571b7c3-3056-4a61-b00a-9bc5232234f5",
        "MI-FIC, ENT-FIC",
        note="the apps' managed identities, and app registrations too",
    ),
    _c(
        "GitHub federation from trusted owners",
        "",
        "",
        "fd1a8e20-2c4f-4a6c-9354-b58d786d9a1f",
        "MI-FIC, ENT-FIC",
        "part",
        "subjects pinned to an environment or ref; owners not matched to a list",
    ),
    _c(
        "client certificates required",
        "app_client_certificates_on",
        "",
        "ab6a902f-9493-453b-928d-62c30b11b5a6",
        "",
        "out",
        "callers hold Entra tokens; a client certificate would be one more credential each "
        "caller holds (the template skips Checkov's CKV_AZURE_17 for the same reason)",
    ),
    _c(
        "secrets have a content type",
        "",
        "",
        "75262d3e-ba4a-4f43-85f8-9f72c090e5e3",
        "",
        "out",
        "a content type labels a secret for people and changes nothing about who can read it",
    ),
)


def coverage(controls: tuple[Control, ...] = CONTROLS) -> tuple[float, float]:
    """Weighted coverage (a part counts half) of the controls judged, and of all of them with
    the ones left out counted as not judged."""
    weight = {"full": 1.0, "part": 0.5, "out": 0.0}
    judged = [c for c in controls if c.judged != "out"]
    return (
        sum(weight[c.judged] for c in judged) / len(judged),
        sum(weight[c.judged] for c in controls) / len(controls),
    )
