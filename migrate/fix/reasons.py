"""Why a finding is left for a person: one sentence per rule (and service, where it matters)."""

from __future__ import annotations

from migrate.catalog import KEY_VAULT_SERVICES
from migrate.model import Finding

KEY_VAULT = (
    "a secret no identity replaces: keep it in Key Vault and read it at run time with the "
    "app's identity and a cache (the way this project's shared/vault/ does), never from a setting"
)
#: Rule -> why (pairs, not a dict literal: the secrets gate reads "SECRET": "..." as a secret).
_BY_RULE = dict(
    [
        (
            "MIG-CODE-KEYCRED",
            "this client has no identity form the fix can write (the legacy Storage "
            "SDK needs a move to azure-storage-blob 12: "
            "BlobServiceClient(account_url, credential=...))",
        ),
        (
            "MIG-CODE-ACCOUNTKEY",
            "the code handles the account key itself (to sign a SAS): with the "
            "identity, sign with a user delegation key (get_user_delegation_key) instead",
        ),
        (
            "MIG-CODE-SECRETCRED",
            "a client-secret flow the fix cannot swap one for one (ADAL, MSAL): "
            "use azure-identity's credential with the app's identity",
        ),
        (
            "MIG-CODE-CONNSTR",
            "the connection string does not come from one app setting the fix can "
            "follow, or the client has no URL form: build it from the service URL and the "
            "credential",
        ),
        (
            "MIG-CODE-LITERAL",
            "rotate this secret: it was in the code",
        ),
        (
            "MIG-CODE-ENVSECRET",
            "the code still reads this secret for a client the fix could not "
            "migrate (see the finding on the client's line); read the service URL once it is",
        ),
        (
            "MIG-SET-KEYED",
            "the code that reads this connection string was not migrated; remove the "
            "setting when it is",
        ),
        (
            "MIG-SET-SECRET",
            "the code still reads this setting; remove it once the code uses the identity",
        ),
        (
            "MIG-SET-HOSTSTORAGE",
            "host storage in this file is left as the emulator shortcut (the local "
            "stack turns it into identity-based URIs)",
        ),
        (
            "MIG-SET-BINDING",
            "the connection's identity-based settings must be set where the app runs",
        ),
        (
            "MIG-SET-KVREF",
            "set the identity-based settings instead of the reference",
        ),
        (
            "MIG-INFRA-LISTKEYS",
            "this key is used by something the fix did not migrate (the content "
            "share on plans with Azure Files, or code that still uses a key)",
        ),
        (
            "MIG-INFRA-KEYEDCONN",
            "this connection string is used by something the fix did not migrate",
        ),
        (
            "MIG-INFRA-KVPOLICY",
            "turn on enableRbacAuthorization and grant Key Vault Secrets User (in "
            "migrate-roles.bicep), then drop the policies: it changes access for every user of "
            "the vault",
        ),
        (
            "MIG-INFRA-SHAREDKEY",
            "set allowSharedKeyAccess: false once nothing listed here uses a key",
        ),
        (
            "MIG-INFRA-LOCALAUTH",
            "set disableLocalAuth: true once nothing listed here uses a key",
        ),
        (
            "MIG-INFRA-AIKEY",
            "add APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD; the "
            "Monitoring Metrics Publisher role is in migrate-roles.bicep",
        ),
        (
            "MIG-INFRA-WEBHOOK",
            "deliver to an AzureFunction endpoint (the Event Grid trigger) or a "
            "webhook with Entra authentication",
        ),
        (
            "MIG-INFRA-AUTHLEVEL",
            "turn on App Service Authentication with Entra first, then set the auth "
            "level to ANONYMOUS: changing the level alone would open the function to anyone",
        ),
        (
            "MIG-CI-PUBLISHPROFILE",
            "replace it with the OIDC azure/login step by hand",
        ),
        (
            "MIG-CI-AZCREDS",
            "replace it with the OIDC azure/login step by hand",
        ),
        (
            "MIG-CI-CLIENTSECRET",
            "replace it with the OIDC azure/login step by hand",
        ),
    ]
)


def why(finding: Finding) -> str:
    if finding.service in KEY_VAULT_SERVICES and finding.kind.value in {"code", "settings"}:
        return KEY_VAULT
    if finding.service == "cosmosdb" and any(
        word in finding.message for word in ("Mongo", "Motor")
    ):
        return (
            "Cosmos DB for MongoDB (RU) has no Entra data-plane sign-in: keep the connection "
            "string in Key Vault, read at run time, or move to the NoSQL API with its data roles"
        )
    if finding.service == "cognitiveservices" and finding.rule == "MIG-CODE-KEYHEADER":
        return (
            "send an Entra token (scope https://cognitiveservices.azure.com/.default) from the "
            "app's identity instead of the key; Cognitive Services User is in migrate-roles.bicep"
        )
    return _BY_RULE.get(finding.rule, "not changed by the fix")
