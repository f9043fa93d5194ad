"""Least-privileged built-in roles per trigger, binding and client, as the docs list them.

Each table row cites the page its roles come from. Bindings follow the Functions binding
pages' "identity-based connections" tables (the same text in every binding page: one row
per trigger, input and output); clients used directly from code get the data role that lets
them do what a client of that class usually does (read and write), since code can do more
than a binding; the fix report says so, so a reader can narrow it.

Role definition ids are the built-in roles' fixed ids from Azure's built-in roles reference
(learn.microsoft.com/azure/role-based-access-control/built-in-roles); Cosmos DB's data roles
are its own SQL role definitions (learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ROLE_IDS: Final = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Table Data Reader": "76199698-9eea-4c19-bc75-cec21354c6b6",
    "Azure Service Bus Data Receiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    "Azure Service Bus Data Sender": "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    "Azure Service Bus Data Owner": "090c5cfd-751d-490a-894a-3ce6f1109419",
    "Azure Event Hubs Data Receiver": "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
    "Azure Event Hubs Data Sender": "2b629674-e913-4c01-ae53-ef4638d8f975",
    "Azure Event Hubs Data Owner": "f526a384-b230-433a-b45c-95f59c4a2dec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    "EventGrid Data Sender": "d5a91429-5739-47e2-a06b-3470a27159e7",
}
#: Cosmos DB data-plane roles: SQL role definitions of the account, not Azure RBAC.
COSMOS_ROLE_IDS: Final = {
    "Cosmos DB Built-in Data Reader": "00000000-0000-0000-0000-000000000001",
    "Cosmos DB Built-in Data Contributor": "00000000-0000-0000-0000-000000000002",
}

_FN = "https://learn.microsoft.com/azure/azure-functions/"
DOCS: Final = {
    "storage-blob": _FN + "functions-bindings-storage-blob-trigger#identity-based-connections",
    "storage-queue": _FN + "functions-bindings-storage-queue-trigger#identity-based-connections",
    "storage-table": _FN + "functions-bindings-storage-table-input#identity-based-connections",
    "servicebus": _FN + "functions-bindings-service-bus-trigger#identity-based-connections",
    "eventhubs": _FN + "functions-bindings-event-hubs-trigger#identity-based-connections",
    "cosmosdb": _FN + "functions-bindings-cosmosdb-v2-trigger#identity-based-connections",
    "eventgrid": _FN + "functions-bindings-event-grid-output#identity-based-authentication",
    "storage": _FN + "functions-reference#connecting-to-host-storage-with-an-identity",
    "keyvault": "https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
    "appinsights": "https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication",
    "cognitiveservices": "https://learn.microsoft.com/azure/ai-services/authentication",
    "entra": "https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/overview",
    "functions": "https://learn.microsoft.com/azure/app-service/overview-authentication-authorization",
    "appservice": "https://learn.microsoft.com/azure/app-service/deploy-github-actions",
    "third-party": "https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
}

#: (service, direction) -> roles, from the binding pages' tables.
BINDING_ROLES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("storage-blob", "trigger"): ("Storage Blob Data Owner", "Storage Queue Data Contributor"),
    ("storage-blob", "in"): ("Storage Blob Data Reader",),
    ("storage-blob", "out"): ("Storage Blob Data Owner",),
    ("storage-queue", "trigger"): (
        "Storage Queue Data Reader",
        "Storage Queue Data Message Processor",
    ),
    ("storage-queue", "out"): (
        "Storage Queue Data Contributor",
        "Storage Queue Data Message Sender",
    ),
    ("storage-table", "in"): ("Storage Table Data Reader",),
    ("storage-table", "out"): ("Storage Table Data Contributor",),
    ("servicebus", "trigger"): ("Azure Service Bus Data Receiver", "Azure Service Bus Data Owner"),
    ("servicebus", "out"): ("Azure Service Bus Data Sender",),
    ("eventhubs", "trigger"): ("Azure Event Hubs Data Receiver", "Azure Event Hubs Data Owner"),
    ("eventhubs", "out"): ("Azure Event Hubs Data Sender",),
    ("cosmosdb", "trigger"): ("Cosmos DB Built-in Data Contributor",),
    ("cosmosdb", "in"): ("Cosmos DB Built-in Data Reader",),
    ("cosmosdb", "out"): ("Cosmos DB Built-in Data Contributor",),
    ("eventgrid", "out"): ("EventGrid Data Sender",),
}

#: Host storage (AzureWebJobsStorage): the host's own blobs (leases, timers, keys).
HOST_STORAGE_ROLES: Final = ("Storage Blob Data Owner",)

#: A client used from code: the data role for reading and writing through it.
CLIENT_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "storage-blob": ("Storage Blob Data Contributor",),
    "storage-queue": ("Storage Queue Data Contributor",),
    "storage-table": ("Storage Table Data Contributor",),
    "storage": ("Storage Blob Data Contributor",),
    "servicebus": ("Azure Service Bus Data Sender", "Azure Service Bus Data Receiver"),
    "eventhubs": ("Azure Event Hubs Data Sender", "Azure Event Hubs Data Receiver"),
    "cosmosdb": ("Cosmos DB Built-in Data Contributor",),
    "keyvault": ("Key Vault Secrets User",),
    "appinsights": ("Monitoring Metrics Publisher",),
    "cognitiveservices": ("Cognitive Services User",),
    "eventgrid": ("EventGrid Data Sender",),
    # a third-party secret stays a secret: the identity reads it from Key Vault
    "third-party": ("Key Vault Secrets User",),
}


@dataclass(frozen=True, slots=True)
class RoleNeed:
    roles: tuple[str, ...]
    docs: str


def for_binding(service: str, direction: str) -> RoleNeed:
    """Roles for one binding; an unknown pair needs none we can name (a finding says so)."""
    roles = BINDING_ROLES.get((service, direction), ())
    return RoleNeed(roles, DOCS.get(service, ""))


def for_client(service: str) -> RoleNeed:
    return RoleNeed(CLIENT_ROLES.get(service, ()), DOCS.get(service, ""))


def role_id(name: str) -> str | None:
    return ROLE_IDS.get(name) or COSMOS_ROLE_IDS.get(name)
