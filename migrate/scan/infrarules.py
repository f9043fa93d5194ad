"""What both template languages share: which resource types need a property set, how a
``list*()`` call's service is told, and the findings' wording.

Bicep and ARM JSON describe the same resources with the same property names, so the two
scanners differ only in how they find a resource's body and a value's line.
"""

from __future__ import annotations

import re
from typing import Final

from migrate import catalog, roles
from migrate.model import Finding, Kind, Severity
from migrate.services import service_of_name

#: Resource type (lower case) -> the service whose local auth must be turned off.
LOCAL_AUTH: Final = {
    "microsoft.servicebus/namespaces": "servicebus",
    "microsoft.eventhub/namespaces": "eventhubs",
    "microsoft.documentdb/databaseaccounts": "cosmosdb",
}
STORAGE_ACCOUNT: Final = "microsoft.storage/storageaccounts"
VAULT: Final = "microsoft.keyvault/vaults"
VAULT_POLICIES: Final = "microsoft.keyvault/vaults/accesspolicies"
#: ``listKeys(``, ``x.listConnectionStrings()``, ``listAccountSas(`` ... (ARM's ``list*``).
LIST_CALL: Final = re.compile(
    r"(?<![A-Za-z0-9_])list(?:Keys|ConnectionStrings|AccountSas|ServiceSas|"
    r"AuthKeys|Secrets|Credentials?|Keys\w*)?\s*\("
)
KEYED_TEXT: Final = re.compile(
    r"(?:AccountKey|SharedAccessKey|SharedAccessSignature)=", re.IGNORECASE
)
AI_KEY: Final = "APPINSIGHTS_INSTRUMENTATIONKEY"
AI_CONNECTION: Final = "APPLICATIONINSIGHTS_CONNECTION_STRING"
AI_AUTH: Final = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
_TYPE_SERVICES: Final = (
    ("microsoft.storage", "storage"),
    ("microsoft.documentdb", "cosmosdb"),
    ("microsoft.servicebus", "servicebus"),
    ("microsoft.eventhub", "eventhubs"),
    ("microsoft.web", "functions"),
    ("microsoft.insights", "appinsights"),
    ("microsoft.eventgrid", "eventgrid"),
    ("microsoft.cognitiveservices", "cognitiveservices"),
)
_TEXT_SERVICES: Final = (
    ("/host/default", "functions"),
    ("storage", "storage"),
    ("documentdb", "cosmosdb"),
    ("cosmos", "cosmosdb"),
    ("servicebus", "servicebus"),
    ("eventhub", "eventhubs"),
    ("insights", "appinsights"),
)


def service_of_type(resource_type: str) -> str | None:
    lowered = resource_type.lower()
    return next((service for prefix, service in _TYPE_SERVICES if lowered.startswith(prefix)), None)


def list_service(expression: str, setting: str | None, symbol_type: str | None) -> str:
    """The service a ``list*()`` call reads keys of: the resource it names, refined by the
    setting the value is written to (``BlobAccountKey`` is the blob service's key)."""
    found = service_of_type(symbol_type) if symbol_type else None
    if found is None:
        lowered = expression.lower()
        found = next((service for marker, service in _TEXT_SERVICES if marker in lowered), None)
    by_name = service_of_name(setting, "") if setting else ""
    if found == "storage" and by_name.startswith("storage-"):
        return by_name
    return found or by_name or "unknown"


def finding(
    rule_id: str,
    file: str,
    line: int,
    service: str,
    message: str,
    *,
    setting: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    rule = catalog.rule(rule_id)
    need = roles.for_client(service)
    return Finding(
        rule=rule_id,
        kind=Kind.INFRA,
        service=service,
        file=file,
        line=line,
        severity=severity or rule.severity,
        message=message,
        replacement=catalog.replacement(rule_id, service, setting),
        roles=need.roles,
        docs=need.docs or roles.DOCS.get(service, ""),
        setting=setting,
    )


def keep_strongest(found: list[Finding]) -> list[Finding]:
    """One finding per line: the most severe, then the one whose rule comes first."""
    by_line: dict[tuple[str, int], Finding] = {}
    for item in found:
        kept = by_line.get(item.key)
        if kept is None or (item.severity.rank, -catalog.ORDER.index(item.rule)) > (
            kept.severity.rank,
            -catalog.ORDER.index(kept.rule),
        ):
            by_line[item.key] = item
    return sorted(by_line.values(), key=lambda f: f.line)
