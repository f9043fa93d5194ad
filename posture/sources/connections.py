"""The resources the app's settings name: what the control-plane rules must find in scope.

A rule that judges storage accounts, vaults or data services cannot pass on "none in scope"
when the app itself connects to one: the scope is wrong, or the checker is blind to it.
This module reads the app's environment (the settings App Service hands it) and names each
resource a connection points at: the storage accounts of ``<CONN>__blobServiceUri`` and
friends (and of a connection string's ``AccountName``), the vault of ``KEY_VAULT_URI``, the
Service Bus or Event Hubs namespace of ``<CONN>__fullyQualifiedNamespace``, the Cosmos DB
account of ``<CONN>__accountEndpoint``, the Event Grid topic of ``<CONN>__topicEndpointUri``
and the SQL server of a connection string's ``Server``. Host names are read as Azure
spells them (``<name>.blob.core.windows.net``); a loopback or IP host (an emulator or a
local stand-in) names the resource in the path's first segment, as Azurite does.

Only names are kept: never a value beyond the host and the first path segment.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from shared.settings.environment import connection_fields

STORAGE: Final = "microsoft.storage/storageaccounts"
KEY_VAULT: Final = "microsoft.keyvault/vaults"
SERVICE_BUS: Final = "microsoft.servicebus/namespaces"
EVENT_HUBS: Final = "microsoft.eventhub/namespaces"
COSMOS: Final = "microsoft.documentdb/databaseaccounts"
SQL: Final = "microsoft.sql/servers"
EVENT_GRID_TOPIC: Final = "microsoft.eventgrid/topics"

#: Identity-based setting suffix -> the types of resource it can point at.
_SUFFIXES: Final = {
    "blobServiceUri": (STORAGE,),
    "queueServiceUri": (STORAGE,),
    "tableServiceUri": (STORAGE,),
    "serviceUri": (STORAGE,),
    "accountName": (STORAGE,),
    # Service Bus and Event Hubs namespaces share <name>.servicebus.windows.net.
    "fullyQualifiedNamespace": (SERVICE_BUS, EVENT_HUBS),
    "accountEndpoint": (COSMOS,),
    "topicEndpointUri": (EVENT_GRID_TOPIC,),
}
VAULT_SETTINGS: Final = ("KEY_VAULT_URI",)


@dataclass(frozen=True, slots=True)
class Connection:
    """One resource a setting names: the setting, the resource's name and its possible types."""

    setting: str
    name: str
    types: tuple[str, ...]


def _local(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resource_name(url: str) -> str | None:
    """The resource an endpoint URL names: its first host label, or (for a loopback or IP
    host) its first path segment; a bare namespace name (no scheme) is its first label."""
    text = url.strip()
    if "//" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if _local(host):
        segment = parts.path.strip("/").split("/", 1)[0]
        return segment.lower() or None
    return host.split(".", 1)[0] or None


def _fields(value: str) -> dict[str, str]:
    """``Key=Value;...`` with lower-cased keys (SQL's ``Server=tcp:...`` included)."""
    if ";" not in value or "=" not in value:
        return {}
    pairs = (part.partition("=") for part in value.split(";"))
    return {k.strip().lower(): v.strip() for k, sep, v in pairs if sep and k.strip()}


def _from_connection_string(setting: str, value: str) -> Connection | None:
    fields = connection_fields(value) or _fields(value)
    if not fields:
        return None
    if fields.get("accountname"):
        return Connection(setting, fields["accountname"].lower(), (STORAGE,))
    server = fields.get("server") or fields.get("data source")
    if server:
        host = server.removeprefix("tcp:").split(",", 1)[0]
        return Connection(setting, host.split(".", 1)[0].lower(), (SQL,))
    endpoint = fields.get("endpoint") or fields.get("accountendpoint")
    if endpoint and ".servicebus." in endpoint.lower():
        name = resource_name(endpoint)
        return Connection(setting, name, (SERVICE_BUS, EVENT_HUBS)) if name else None
    if endpoint and ".documents." in endpoint.lower():
        name = resource_name(endpoint)
        return Connection(setting, name, (COSMOS,)) if name else None
    return None


def named_connections(env: Mapping[str, str]) -> list[Connection]:
    """Every resource the environment's settings name, in setting order."""
    found: list[Connection] = []
    for setting in sorted(env):
        value = (env.get(setting) or "").strip()
        if not value:
            continue
        _, sep, suffix = setting.rpartition("__")
        if setting in VAULT_SETTINGS:
            name = resource_name(value)
            if name:
                found.append(Connection(setting, name, (KEY_VAULT,)))
        elif sep and suffix in _SUFFIXES:
            name = value.lower() if suffix == "accountName" else resource_name(value)
            if name:
                found.append(Connection(setting, name, _SUFFIXES[suffix]))
        else:
            connection = _from_connection_string(setting, value)
            if connection is not None:
                found.append(connection)
    return found
