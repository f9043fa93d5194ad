"""App settings files: local.settings.json (and its samples) and app-settings exports.

An export is what ``az functionapp config appsettings list`` prints: a JSON list of
``{"name", "value", "slotSetting"}``. Both become :class:`SettingEntry` records with their
line; findings are made once the code has been read, because whether ``ComputerVisionKey``
or ``AzureWebJobsStorage`` holds a secret is known from how the code uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate import catalog, roles
from migrate.model import Finding, Kind, Problem, Severity
from migrate.scan import jsonpos
from migrate.services import is_secret_name, service_of_name
from migrate.tree import SourceFile
from shared.redaction.shapes import scan as secret_shapes
from shared.settings.environment import keyed_by

HOST_SETTINGS = frozenset({"AzureWebJobsStorage", "AzureWebJobsDashboard"})
CONTENT_SHARE = "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
KV_REFERENCE = "@microsoft.keyvault("
#: Suffixes of identity-based connection settings (Functions docs, identity-based connections).
IDENTITY_SUFFIXES = frozenset(
    {
        "serviceuri",
        "blobserviceuri",
        "queueserviceuri",
        "tableserviceuri",
        "fullyqualifiednamespace",
        "accountname",
        "accountendpoint",
        "credential",
        "clientid",
        "topicendpointuri",
        "endpoint",
    }
)
#: Secret parts of a connection spelled as separate settings (``X__accountKey``).
SECRET_SUFFIXES = frozenset({"accountkey", "sharedaccesskey", "clientsecret", "password", "key"})
_PLACEHOLDER = re.compile(
    r"^\s*(?:<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|\{[^}]*\}|\[[^\]]*\]"
    r"|x+|todo|changeme|your[-_ ].*)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SettingEntry:
    file: str
    line: int
    name: str
    value: str


def parse(source: SourceFile) -> list[SettingEntry] | Problem:
    try:
        document = jsonpos.parse(source.text)
    except ValueError as exc:
        return Problem(source.relative, f"not valid JSON ({exc}); settings not scanned")
    entries = entries_of(document, source.relative)
    if entries is None:
        return Problem(
            source.relative,
            'neither a "Values" object nor a list of name/value settings; settings not scanned',
        )
    return entries


def entries_of(document: jsonpos.Node, file: str) -> list[SettingEntry] | None:
    """Entries of a local settings file or an export; None if the document is neither."""
    if isinstance(document.value, dict):
        values = document.get("Values")
        if values is None or not isinstance(values.value, dict):
            return None
        return [
            SettingEntry(file, line, name, _text(node.value))
            for name, (line, node) in values.members.items()
        ]
    if isinstance(document.value, list) and document.items:
        found = []
        for item in document.items:
            if not isinstance(item.value, dict) or "name" not in item.value:
                return None
            line = item.key_line("name") or item.line
            found.append(
                SettingEntry(file, line, str(item.value["name"]), _text(item.value.get("value")))
            )
        return found
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def is_placeholder(value: str) -> bool:
    return not value.strip() or bool(_PLACEHOLDER.match(value))


def identity_prefix(name: str) -> str | None:
    """``X`` for ``X__serviceUri`` and the other identity-based forms, else None."""
    prefix, sep, suffix = name.rpartition("__")
    if sep and suffix.lower() in IDENTITY_SUFFIXES:
        return prefix
    return None


def judge(entry: SettingEntry, *, secret_names: dict[str, str]) -> Finding | None:
    """The finding for one setting, if any. ``secret_names``: settings the code or the
    bindings use as secrets, with their service."""
    name, value = entry.name, entry.value
    secrets = [f for f in secret_shapes(value) if f.is_secret]
    if identity_prefix(name) is not None and not secrets:
        return None  # <connection>__serviceUri and the like: a URL or a client id
    keyed = keyed_by(value)
    service = secret_names.get(name) or _service(name, value)
    if value.strip().lower().startswith(KV_REFERENCE):
        if service in {"third-party", "unknown"}:
            return None  # a third-party secret behind a reference is the right place for it
        return _finding(
            "MIG-SET-KVREF",
            entry,
            service,
            "kept in Key Vault, but still a secret for an Azure service",
        )
    if secrets or (keyed and any(k != "UseDevelopmentStorage" for k in keyed)):
        severity = Severity.CRITICAL if secrets else Severity.HIGH
        what = "holds a connection string with a key or a secret"
        return _finding("MIG-SET-KEYED", entry, service, what, severity=severity)
    if name in HOST_SETTINGS or name == CONTENT_SHARE:
        return _finding(
            "MIG-SET-HOSTSTORAGE", entry, "storage", "host storage as a connection string"
        )
    suffix = name.rpartition("__")[2].lower() if "__" in name else ""
    if name in secret_names or is_secret_name(name) or suffix in SECRET_SUFFIXES:
        if is_placeholder(value):
            return _finding("MIG-SET-SECRET", entry, service, "meant to hold a secret")
        return _finding("MIG-SET-SECRET", entry, service, "holds a secret", severity=Severity.HIGH)
    return None


def _service(name: str, value: str) -> str:
    lowered = value.lower()
    if "documents.azure.com" in lowered or "accountendpoint=" in lowered:
        by_value = "cosmosdb"
    elif "servicebus.windows.net" in lowered:
        by_value = "eventhubs" if "eventhub" in name.lower() else "servicebus"
    elif "accountname=" in lowered or "core.windows.net" in lowered:
        by_value = "storage"
    else:
        by_value = ""
    by_name = service_of_name(name, "")
    if by_value == "storage" and by_name.startswith("storage"):
        return by_name
    return by_value or by_name or "third-party"


def _finding(
    rule_id: str, entry: SettingEntry, service: str, what: str, *, severity: Severity | None = None
) -> Finding:
    rule = catalog.rule(rule_id)
    need = roles.for_client(service)
    if rule_id == "MIG-SET-HOSTSTORAGE":
        need = roles.RoleNeed(roles.HOST_STORAGE_ROLES, roles.DOCS["storage"])
    return Finding(
        rule=rule_id,
        kind=Kind.SETTINGS,
        service=service,
        file=entry.file,
        line=entry.line,
        severity=severity or rule.severity,
        message=f"{entry.name} {what}",
        replacement=catalog.replacement(rule_id, service, entry.name),
        roles=need.roles,
        docs=need.docs,
        setting=entry.name,
    )
