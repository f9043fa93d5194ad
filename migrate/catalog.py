"""The rules a finding can come from: what each one means and what replaces it.

One table for the text report, SARIF's rule descriptors and the docs (a test holds
docs/migrate.md to this table). Replacements are written per service where the service
changes them: the identity-based setting names come from the Functions docs' "identity-based
connections" sections and the app settings reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from migrate.model import Kind, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: Kind
    title: str
    severity: Severity
    replacement: str


_RULES: Final = (
    Rule(
        "MIG-CODE-CONNSTR",
        Kind.CODE,
        "SDK client built from a connection string",
        Severity.HIGH,
        "build the client from the service URL with one DefaultAzureCredential",
    ),
    Rule(
        "MIG-CODE-KEYCRED",
        Kind.CODE,
        "Client authenticated with an account key, SAS or API key",
        Severity.HIGH,
        "pass DefaultAzureCredential as the client's credential",
    ),
    Rule(
        "MIG-CODE-SECRETCRED",
        Kind.CODE,
        "Credential built from a client secret, password or certificate",
        Severity.HIGH,
        "DefaultAzureCredential (ManagedIdentityCredential with the client id of a "
        "user-assigned identity); grant that identity what the app registration had",
    ),
    Rule(
        "MIG-CODE-KEYHEADER",
        Kind.CODE,
        "Key sent in a request header or query parameter",
        Severity.HIGH,
        "send an Entra bearer token for the service instead; a third-party key "
        "comes from Key Vault at run time",
    ),
    Rule(
        "MIG-CODE-ACCOUNTKEY",
        Kind.CODE,
        "Account key taken out of, or put into, a connection string",
        Severity.HIGH,
        "use the identity: user delegation SAS or a credential, never the key",
    ),
    Rule(
        "MIG-CODE-ENVSECRET",
        Kind.CODE,
        "Secret read from an app setting",
        Severity.HIGH,
        "read a service URL instead and authenticate with the app's identity; a third-party "
        "secret is read from Key Vault at run time, with a cache",
    ),
    Rule(
        "MIG-CODE-LITERAL",
        Kind.CODE,
        "Secret written in the code",
        Severity.CRITICAL,
        "remove it, rotate it, and read it from Key Vault (or replace it with the identity)",
    ),
    Rule(
        "MIG-SET-KEYED",
        Kind.SETTINGS,
        "Connection string with a key in the settings",
        Severity.CRITICAL,
        "identity-based settings: <CONN>__serviceUri / __blobServiceUri / "
        "__queueServiceUri / __tableServiceUri / __fullyQualifiedNamespace / __accountEndpoint",
    ),
    Rule(
        "MIG-SET-SECRET",
        Kind.SETTINGS,
        "Setting that holds a secret",
        Severity.MEDIUM,
        "remove it: identity-based settings for an Azure service, a Key Vault secret read at "
        "run time for a third-party one",
    ),
    Rule(
        "MIG-SET-HOSTSTORAGE",
        Kind.SETTINGS,
        "Host storage in connection-string form",
        Severity.LOW,
        "AzureWebJobsStorage__blobServiceUri, __queueServiceUri, __tableServiceUri",
    ),
    Rule(
        "MIG-SET-BINDING",
        Kind.SETTINGS,
        "Trigger or binding on a connection string",
        Severity.MEDIUM,
        "identity-based settings under the connection's name",
    ),
    Rule(
        "MIG-SET-KVREF",
        Kind.SETTINGS,
        "Azure service secret kept behind a Key Vault reference",
        Severity.MEDIUM,
        "identity-based settings; keep Key Vault references for third-party secrets",
    ),
    Rule(
        "MIG-INFRA-LISTKEYS",
        Kind.INFRA,
        "Keys or connection strings read with list*() in a template",
        Severity.HIGH,
        "identity-based app settings and role assignments (see the generated module)",
    ),
    Rule(
        "MIG-INFRA-KEYEDCONN",
        Kind.INFRA,
        "Connection string with a key built in a template",
        Severity.HIGH,
        "identity-based app settings",
    ),
    Rule(
        "MIG-INFRA-KVPOLICY",
        Kind.INFRA,
        "Key Vault access policies",
        Severity.MEDIUM,
        "enableRbacAuthorization: true and a Key Vault Secrets User role assignment",
    ),
    Rule(
        "MIG-INFRA-SHAREDKEY",
        Kind.INFRA,
        "Storage account with Shared Key access on",
        Severity.MEDIUM,
        "allowSharedKeyAccess: false (after the app uses its identity)",
    ),
    Rule(
        "MIG-INFRA-LOCALAUTH",
        Kind.INFRA,
        "Local (key) authentication left on",
        Severity.MEDIUM,
        "disableLocalAuth: true (after the app uses its identity)",
    ),
    Rule(
        "MIG-INFRA-AIKEY",
        Kind.INFRA,
        "Telemetry sent with the instrumentation key only",
        Severity.LOW,
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD (ClientId=... "
        "for a user-assigned identity) and Monitoring Metrics Publisher on the component",
    ),
    Rule(
        "MIG-INFRA-WEBHOOK",
        Kind.INFRA,
        "Event Grid delivering to a webhook",
        Severity.MEDIUM,
        "an AzureFunction destination (or Entra-protected webhook delivery)",
    ),
    Rule(
        "MIG-INFRA-AUTHLEVEL",
        Kind.INFRA,
        "HTTP function reached with a function or admin key",
        Severity.MEDIUM,
        "App Service Authentication with Entra, then auth level ANONYMOUS",
    ),
    Rule(
        "MIG-CI-PUBLISHPROFILE",
        Kind.CI,
        "Deployment with a stored publish profile",
        Severity.HIGH,
        "azure/login with OIDC (a federated credential) and no publish-profile",
    ),
    Rule(
        "MIG-CI-AZCREDS",
        Kind.CI,
        "Service principal secret (AZURE_CREDENTIALS) in CI",
        Severity.HIGH,
        "azure/login with client-id, tenant-id, subscription-id and "
        "permissions: id-token: write (a federated credential)",
    ),
    Rule(
        "MIG-CI-CLIENTSECRET",
        Kind.CI,
        "Client secret used to log in from CI",
        Severity.HIGH,
        "OIDC login with a federated credential",
    ),
)

RULES: Final = {rule.id: rule for rule in _RULES}
#: Rule order decides which finding a line keeps when several rules match it.
ORDER: Final = [rule.id for rule in _RULES]

#: Identity-based connection settings per service (Functions docs, identity-based connections).
IDENTITY_SETTINGS: Final = {
    "storage": ("__blobServiceUri", "__queueServiceUri", "__tableServiceUri"),
    "storage-blob": ("__blobServiceUri", "__queueServiceUri"),
    "storage-queue": ("__queueServiceUri",),
    "storage-table": ("__tableServiceUri",),
    "servicebus": ("__fullyQualifiedNamespace",),
    "eventhubs": ("__fullyQualifiedNamespace",),
    "cosmosdb": ("__accountEndpoint",),
    "eventgrid": ("__topicEndpointUri",),
    "signalr": ("__serviceUri",),
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


#: Secrets no identity replaces: they move to Key Vault.
KEY_VAULT_SERVICES: Final = frozenset({"third-party", "unknown", "apim"})
KEY_VAULT_TEXT: Final = (
    "keep the secret in Key Vault and read it at run time with the app's identity (a cache "
    "keeps the calls few), never from an app setting"
)


def replacement(rule_id: str, service: str, connection: str | None = None) -> str:
    """The rule's replacement, with the identity-based setting names for this service."""
    base = RULES[rule_id].replacement
    if service in KEY_VAULT_SERVICES and rule_id in {
        "MIG-CODE-ENVSECRET",
        "MIG-SET-SECRET",
        "MIG-CODE-KEYHEADER",
        "MIG-CODE-LITERAL",
    }:
        return KEY_VAULT_TEXT
    if rule_id == "MIG-SET-HOSTSTORAGE":
        return base
    suffixes = IDENTITY_SETTINGS.get(service)
    if suffixes and rule_id in {
        "MIG-SET-KEYED",
        "MIG-SET-BINDING",
        "MIG-SET-HOSTSTORAGE",
        "MIG-CODE-CONNSTR",
        "MIG-CODE-ENVSECRET",
        "MIG-SET-SECRET",
    }:
        name = connection or "<CONN>"
        settings = ", ".join(name + suffix for suffix in suffixes)
        return f"{base}; settings: {settings}"
    return base
