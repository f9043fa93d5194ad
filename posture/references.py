"""Where each rule points a reader: a public page that explains the control and its fix.

``learn`` is the page that explains the control and its fix (every report format links
it: the JSON ``docs``, SARIF ``helpUri``, the HTML page). What each rule covers in other
tools is :mod:`posture.controls`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

_LEARN: Final = "https://learn.microsoft.com"
DEFAULT_LEARN: Final = f"{_LEARN}/azure/azure-functions/security-concepts"


@dataclass(frozen=True, slots=True)
class Reference:
    learn: str


#: Rule id -> its page under learn.microsoft.com (pairs, not a mapping literal: a rule id
#: such as RT-CONN-TOKEN is not the name of a credential).
_PAGES: Final = (
    ("RT-ENV-SECRETS", "azure/azure-functions/security-concepts"),
    ("RT-CRED-FALLBACK", "azure/developer/python/sdk/authentication/credential-chains"),
    ("RT-CRED-PINNED", "azure/developer/python/sdk/authentication/credential-chains"),
    ("RT-CONN-KEYED", "azure/azure-functions/functions-reference"),
    ("RT-AI-AUTH", "azure/azure-monitor/app/azure-ad-authentication"),
    ("RT-SAS-CLASSIFY", "azure/storage/common/storage-sas-overview"),
    ("RT-CONN-TOKEN", "azure/azure-functions/functions-identity-based-connections-tutorial"),
    ("RT-TOKEN-IDENTITY", "entra/identity/managed-identities-azure-resources/overview"),
    ("RT-AUTH-PROBE", "azure/app-service/overview-authentication-authorization"),
    ("KV-SECRET-NOEXPIRY", "azure/key-vault/secrets/about-secrets"),
    ("KV-SECRET-EXPIRING", "azure/key-vault/general/event-grid-overview"),
    ("KV-SECRET-STALE", "azure/key-vault/secrets/tutorial-rotation"),
    ("KV-SECRET-DISABLED-IN-USE", "azure/key-vault/secrets/about-secrets"),
    ("STG-SHAREDKEY", "azure/storage/common/shared-key-authorization-prevent"),
    ("STG-PUBLIC", "azure/storage/blobs/anonymous-read-access-prevent"),
    ("STG-TLS", "azure/storage/common/transport-layer-security-configure-minimum-version"),
    ("STG-KEY-HYGIENE", "azure/storage/common/storage-account-keys-manage"),
    ("KV-RBAC", "azure/key-vault/general/rbac-guide"),
    ("KV-PROTECT", "azure/key-vault/general/soft-delete-overview"),
    ("KV-AUDIT", "azure/key-vault/general/logging"),
    ("KV-KEYS", "azure/key-vault/keys/how-to-configure-key-rotation"),
    ("APP-IDENTITY", "azure/app-service/overview-managed-identity"),
    ("APP-BASICAUTH", "azure/app-service/configure-basic-auth-disable"),
    ("APP-TRANSPORT", "azure/app-service/overview-security"),
    ("APP-DEPLOY-STORAGE", "azure/azure-functions/flex-consumption-how-to"),
    ("APP-AUTH", "azure/app-service/configure-authentication-provider-aad"),
    ("APP-FUNC-AUTH", "azure/azure-functions/function-keys-how-to"),
    ("AI-LOCALAUTH", "azure/azure-monitor/app/azure-ad-authentication"),
    ("LOG-LOCALAUTH", "azure/azure-monitor/logs/azure-ad-authentication-logs"),
    ("DATA-LOCALAUTH", "azure/service-bus-messaging/disable-local-authentication"),
    ("EG-LOCALAUTH", "azure/event-grid/authenticate-with-microsoft-entra-id"),
    ("EG-DELIVERY", "azure/event-grid/managed-service-identity"),
    ("MI-LEAST-PRIVILEGE", "azure/role-based-access-control/best-practices"),
    ("MI-FIC", "entra/workload-id/workload-identity-federation-considerations"),
    ("SUB-ADMINS", "azure/role-based-access-control/best-practices"),
    ("DEF-PLANS", "azure/defender-for-cloud/defender-for-cloud-introduction"),
    ("DEPLOY-SECRETS", "azure/azure-resource-manager/bicep/scenarios-secrets"),
    ("LOG-SECRETS", "azure/azure-monitor/logs/personal-data-mgmt"),
    ("NET-PUBLIC", "azure/azure-functions/functions-networking-options"),
    ("ENT-APP-SECRETS", "entra/workload-id/workload-identity-federation"),
    ("ENT-CRED-EXPIRY", "entra/identity/enterprise-apps/tutorial-enforce-secret-standards"),
    ("ENT-APP-POLICY", "graph/api/resources/tenantappmanagementpolicy"),
    ("ENT-FIC", "entra/workload-id/workload-identity-federation-considerations"),
    ("ENT-WORKLOAD-CA", "entra/identity/conditional-access/workload-identity"),
    ("ENT-APP-GOVERNANCE", "entra/identity/enterprise-apps/configure-user-consent"),
    ("ENT-ROTATION-ROLE", "entra/identity/role-based-access-control/custom-create"),
    (
        "ENT-PARTNER-CRED",
        "entra/workload-id/workload-identity-federation-config-app-trust-managed-identity",
    ),
    (
        "ENT-PARTNER-FIC",
        "entra/workload-id/workload-identity-federation-config-app-trust-managed-identity",
    ),
    ("ENT-PARTNER-OWNER", "entra/identity/enterprise-apps/overview-assign-app-owners"),
    ("KV-NO-PARTNER-KEY", "azure/key-vault/secrets/about-secrets"),
)
REFERENCES: Final[dict[str, Reference]] = {
    rule_id: Reference(f"{_LEARN}/{path}") for rule_id, path in _PAGES
}


def reference(rule_id: str) -> Reference | None:
    return REFERENCES.get(rule_id)
