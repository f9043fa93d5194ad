"""Triggers and bindings of both programming models, as records the connection resolver and
the fixers share.

v2 apps declare them with decorators (``@app.queue_trigger(..., connection="X")``), v1 apps
in ``function.json`` (``"type": "queueTrigger", "connection": "X"``). Both become a
:class:`Binding`: the service, the direction (trigger, in, out), the connection name the
Functions host reads its settings under, and the line a finding points at. Storage bindings
without a connection use ``AzureWebJobsStorage``, as the host does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

HOST_STORAGE: Final = "AzureWebJobsStorage"

#: function.json binding type -> (service, direction when it is a trigger).
JSON_TYPES: Final = {
    "blobtrigger": ("storage-blob", "trigger"),
    "blob": ("storage-blob", None),
    "queuetrigger": ("storage-queue", "trigger"),
    "queue": ("storage-queue", None),
    "table": ("storage-table", None),
    "servicebustrigger": ("servicebus", "trigger"),
    "servicebus": ("servicebus", None),
    "eventhubtrigger": ("eventhubs", "trigger"),
    "eventhub": ("eventhubs", None),
    "cosmosdbtrigger": ("cosmosdb", "trigger"),
    "cosmosdb": ("cosmosdb", None),
    "eventgrid": ("eventgrid", None),
    "signalr": ("signalr", None),
    "signalrconnectioninfo": ("signalr", "in"),
    "signalrtrigger": ("signalr", "trigger"),
    "sql": ("sql", None),
    "sqltrigger": ("sql", "trigger"),
}
#: Bindings whose connection defaults to host storage when it is left out.
STORAGE_DEFAULT: Final = frozenset({"storage-blob", "storage-queue", "storage-table"})
#: Properties that name the setting a binding connects with.
CONNECTION_PROPERTIES: Final = (
    "connection",
    "connectionStringSetting",
    "connection_string_setting",
)
#: Properties that name a setting holding a third-party or key secret.
SECRET_PROPERTIES: Final = dict(
    [
        ("apiKey", "third-party"),  # sendGrid
        ("api_key", "third-party"),
        ("authTokenSetting", "third-party"),  # twilio
        ("auth_token_setting", "third-party"),
        ("topicKeySetting", "eventgrid"),  # eventGrid output with a topic key
        ("topic_key_setting", "eventgrid"),
    ]
)

#: v2 decorator -> (binding type as function.json names it, direction).
DECORATORS: Final = {
    "blob_trigger": ("blobTrigger", "trigger"),
    "on_blob_change": ("blobTrigger", "trigger"),
    "blob_input": ("blob", "in"),
    "read_blob": ("blob", "in"),
    "blob_output": ("blob", "out"),
    "write_blob": ("blob", "out"),
    "queue_trigger": ("queueTrigger", "trigger"),
    "on_queue_change": ("queueTrigger", "trigger"),
    "queue_output": ("queue", "out"),
    "write_queue": ("queue", "out"),
    "table_input": ("table", "in"),
    "read_table": ("table", "in"),
    "table_output": ("table", "out"),
    "write_table": ("table", "out"),
    "service_bus_queue_trigger": ("serviceBusTrigger", "trigger"),
    "service_bus_topic_trigger": ("serviceBusTrigger", "trigger"),
    "on_service_bus_queue_change": ("serviceBusTrigger", "trigger"),
    "on_service_bus_topic_change": ("serviceBusTrigger", "trigger"),
    "service_bus_queue_output": ("serviceBus", "out"),
    "service_bus_topic_output": ("serviceBus", "out"),
    "write_service_bus_queue": ("serviceBus", "out"),
    "write_service_bus_topic": ("serviceBus", "out"),
    "event_hub_message_trigger": ("eventHubTrigger", "trigger"),
    "on_event_hub_message": ("eventHubTrigger", "trigger"),
    "event_hub_output": ("eventHub", "out"),
    "write_event_hub_message": ("eventHub", "out"),
    "cosmos_db_trigger": ("cosmosDBTrigger", "trigger"),
    "cosmos_db_trigger_v3": ("cosmosDBTrigger", "trigger"),
    "on_cosmos_db_update": ("cosmosDBTrigger", "trigger"),
    "cosmos_db_input": ("cosmosDB", "in"),
    "cosmos_db_input_v3": ("cosmosDB", "in"),
    "read_cosmos_db_documents": ("cosmosDB", "in"),
    "cosmos_db_output": ("cosmosDB", "out"),
    "cosmos_db_output_v3": ("cosmosDB", "out"),
    "write_cosmos_db_documents": ("cosmosDB", "out"),
    "event_grid_output": ("eventGrid", "out"),
    "sql_input": ("sql", "in"),
    "sql_output": ("sql", "out"),
    "sql_trigger": ("sqlTrigger", "trigger"),
}
GENERIC: Final = {
    "generic_trigger": "trigger",
    "generic_input_binding": "in",
    "generic_output_binding": "out",
}


@dataclass(frozen=True, slots=True)
class Binding:
    file: str
    line: int  # where the connection is named (or the binding starts, if it names none)
    service: str
    direction: str  # trigger, in, out
    connection: str
    binding_type: str
    function: str
    model: str  # v1 or v2
    property: str  # connection, connectionStringSetting, or "" (the default)
    entity: str | None = None  # the container, queue, table, topic or hub, when named literally


@dataclass(frozen=True, slots=True)
class SecretSetting:
    """A binding property that names a setting holding a secret (an API key, a topic key)."""

    file: str
    line: int
    service: str
    setting: str
    property: str


#: Properties that name what a binding reads or writes (function.json and decorator spellings).
ENTITY_PROPERTIES: Final = (
    "path",
    "queueName",
    "queue_name",
    "tableName",
    "table_name",
    "topicName",
    "topic_name",
    "eventHubName",
    "event_hub_name",
    "databaseName",
    "database_name",
)


def entity_of(values: Mapping[str, object]) -> str | None:
    """The literal name of the container, queue, table, topic, hub or database a binding
    uses; None when it comes from a setting (``%X%``) or a binding expression (``{x}``)."""
    for prop in ENTITY_PROPERTIES:
        value = values.get(prop)
        if isinstance(value, str) and value:
            name = value.split("/", 1)[0] if prop == "path" else value
            if name and not any(c in name for c in "%{}"):
                return name
            return None
    return None


def classify(binding_type: str, direction: str | None) -> tuple[str, str] | None:
    """(service, direction) of a function.json binding, or None if it connects to nothing."""
    known = JSON_TYPES.get(binding_type.lower())
    if known is None:
        return None
    service, trigger = known
    resolved = trigger or (direction if direction in {"in", "out"} else "in")
    return service, resolved


def default_connection(service: str) -> str | None:
    return HOST_STORAGE if service in STORAGE_DEFAULT else None
