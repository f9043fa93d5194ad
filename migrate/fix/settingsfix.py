"""Settings files rewritten to identity-based connections, one line per setting kept.

A connection string (or its placeholder, or a Key Vault reference to one) becomes the
identity-based settings of its service under the same prefix (Functions docs,
"identity-based connections"): ``__blobServiceUri``/``__queueServiceUri``/``__tableServiceUri``
for Storage, ``__fullyQualifiedNamespace`` for Service Bus and Event Hubs,
``__accountEndpoint`` for Cosmos DB, plus ``__credential``/``__clientId`` for a user-assigned
identity. Local settings point Storage at the local stack's Azurite (its default ports,
which the devstack maps to the ports in use); the templates carry the Azure values.

Other secret settings are blanked (the report says where each belongs). Files keep their
layout: a replaced setting's line becomes the new settings' lines with the same indent and
comma; only a file that is not one setting per line is written out again whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from migrate.fix.report import FixReport
from migrate.scan import jsonpos
from migrate.scan.bindings import HOST_STORAGE, Binding
from migrate.scan.settings import entries_of, identity_prefix

#: The local stack's Azurite behind its HTTPS front on the default ports (docs/devstack.md).
LOCAL_STORAGE = {
    "blobServiceUri": "https://127.0.0.1:10000/devstoreaccount1",
    "queueServiceUri": "https://127.0.0.1:10001/devstoreaccount1",
    "tableServiceUri": "https://127.0.0.1:10002/devstoreaccount1",
}
_SB_ENDPOINT = re.compile(r"Endpoint=sb://([^/;]+)", re.IGNORECASE)
_COSMOS_ENDPOINT = re.compile(r"AccountEndpoint=([^;]+)", re.IGNORECASE)


def suffixes(service: str, direction: str | None) -> tuple[str, ...]:
    """Identity-based settings a connection needs for one binding or client."""
    if service == "storage":
        return tuple(LOCAL_STORAGE)
    if service == "storage-blob":
        return (
            ("blobServiceUri", "queueServiceUri") if direction == "trigger" else ("blobServiceUri",)
        )
    if service == "storage-queue":
        return ("queueServiceUri",)
    if service == "storage-table":
        return ("tableServiceUri",)
    if service in {"servicebus", "eventhubs"}:
        return ("fullyQualifiedNamespace",)
    if service == "cosmosdb":
        return ("accountEndpoint",)
    return ()


@dataclass(slots=True)
class Needs:
    """Identity settings the app needs, per connection prefix: suffix -> service."""

    by_connection: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, connection: str, service: str, direction: str | None) -> None:
        wanted = suffixes("storage" if connection == HOST_STORAGE else service, direction)
        for suffix in wanted:
            self.by_connection.setdefault(connection, {})[suffix] = service

    def add_setting(self, name: str, service: str) -> None:
        prefix, _, suffix = name.rpartition("__")
        if prefix == HOST_STORAGE:
            self.add(HOST_STORAGE, "storage", None)
        else:
            self.by_connection.setdefault(prefix, {})[suffix] = service


def needs_for(bindings: Iterable[Binding], identity: set[str]) -> Needs:
    needs = Needs()
    if HOST_STORAGE not in identity:
        needs.add(HOST_STORAGE, "storage", None)  # the host's own storage, for every app
    for binding in bindings:
        if binding.connection not in identity:
            needs.add(binding.connection, binding.service, binding.direction)
    return needs


def _value(suffix: str, original: str | None) -> str:
    if suffix in LOCAL_STORAGE:
        return LOCAL_STORAGE[suffix]
    original = original or ""
    if suffix == "fullyQualifiedNamespace":
        found = _SB_ENDPOINT.search(original)
        return found.group(1) if found else "<namespace>.servicebus.windows.net"
    if suffix == "accountEndpoint":
        found = _COSMOS_ENDPOINT.search(original)
        return found.group(1) if found else "https://<account>.documents.azure.com:443/"
    return ""


def identity_lines(
    connection: str, wanted: dict[str, str], original: str | None, client_id: str | None
) -> list[tuple[str, str]]:
    lines = [(f"{connection}__{suffix}", _value(suffix, original)) for suffix in wanted]
    if client_id:
        lines += [
            (f"{connection}__credential", "managedidentity"),
            (f"{connection}__clientId", client_id),
        ]
    return lines


def create_file(path: Path, needs: Needs, *, client_id: str | None) -> bool:
    """A local settings file for an app that had none (its settings lived elsewhere)."""
    values: dict[str, str] = {"FUNCTIONS_WORKER_RUNTIME": "python"}
    for connection, wanted in needs.by_connection.items():
        values.update(identity_lines(connection, wanted, None, client_id))
    if client_id:
        values["AZURE_CLIENT_ID"] = client_id
    if len(values) == 1 or path.exists():
        return False
    path.write_text(
        json.dumps({"IsEncrypted": False, "Values": values}, indent=2) + "\n", encoding="utf-8"
    )
    return True


def fix_file(
    path: Path,
    relative: str,
    needs: Needs,
    blank: set[str],
    report: FixReport,
    *,
    client_id: str | None,
) -> None:
    """Rewrite one settings file: connections to identity, ``blank`` settings emptied."""
    text = path.read_text(encoding="utf-8")
    try:
        document = jsonpos.parse(text)
    except ValueError:
        return  # the scan reported it; a file we cannot read is not changed
    entries = entries_of(document, relative)
    if entries is None:
        return
    present = {entry.name: entry.value for entry in entries}
    have = {identity_prefix(name) for name in present} - {None}
    replace: dict[str, list[tuple[str, str]]] = {}
    append: list[tuple[str, str]] = []
    for connection, wanted in needs.by_connection.items():
        if connection in have:
            continue
        new = identity_lines(connection, wanted, present.get(connection), client_id)
        new = [(name, value) for name, value in new if name not in present]
        if connection in present:
            replace[connection] = new
        else:
            append.extend(new)
    if client_id and (replace or append) and "AZURE_CLIENT_ID" not in present:
        append.append(("AZURE_CLIENT_ID", client_id))
    for name in blank:
        if name in present and present[name] and name not in replace:
            replace[name] = [(name, "")]
    if not replace and not append:
        return
    if isinstance(document.value, list):
        new_text = _rewrite_export(document.value, replace, append)
    else:
        new_text = _rewrite_lines(text, document, replace, append)
    path.write_text(new_text, encoding="utf-8")
    for name, lines in replace.items():
        if lines == [(name, "")]:
            report.changed(relative, f"{name} emptied (it held a secret)")
        else:
            report.changed(relative, f"{name} replaced by {', '.join(n for n, _ in lines)}")
    if append:
        report.changed(relative, f"added {', '.join(n for n, _ in append)}")


def _rewrite_export(
    items: list[dict[str, object]],
    replace: dict[str, list[tuple[str, str]]],
    append: list[tuple[str, str]],
) -> str:
    out: list[dict[str, object]] = []
    for item in items:
        name = str(item.get("name"))
        if name in replace:
            out.extend({"name": n, "value": v, "slotSetting": False} for n, v in replace[name])
        else:
            out.append(item)
    out.extend({"name": n, "value": v, "slotSetting": False} for n, v in append)
    return json.dumps(out, indent=2) + "\n"


def _rewrite_lines(
    text: str,
    document: jsonpos.Node,
    replace: dict[str, list[tuple[str, str]]],
    append: list[tuple[str, str]],
) -> str:
    values = document.get("Values")
    if values is None:  # entries_of found "Values" before this was called
        return text
    lines = text.splitlines(keepends=True)
    key_lines = [line for line, _ in values.members.values()]
    one_per_line = all(node.line == line for line, node in values.members.values()) and len(
        set(key_lines)
    ) == len(key_lines)
    if not one_per_line or not key_lines:
        return _rewrite_whole(document, replace, append)
    for name, (line, _) in sorted(values.members.items(), key=lambda kv: -kv[1][0]):
        if name not in replace:
            continue
        original = lines[line - 1]
        indent = original[: len(original) - len(original.lstrip())]
        comma = original.rstrip().endswith(",")
        ending = "\r\n" if original.endswith("\r\n") else "\n"
        new = replace[name]
        rendered = [
            f"{indent}{json.dumps(n)}: {json.dumps(v)}"
            f"{',' if i < len(new) - 1 or comma else ''}{ending}"
            for i, (n, v) in enumerate(new)
        ]
        lines[line - 1 : line] = rendered
    if append:
        last_key = max(line for line, _ in values.members.values())
        last_key += sum(
            len(replace[n]) - 1
            for n, (ln, _) in values.members.items()
            if n in replace and ln <= last_key
        )
        last = lines[last_key - 1]
        indent = last[: len(last) - len(last.lstrip())]
        ending = "\r\n" if last.endswith("\r\n") else "\n"
        if not last.rstrip().endswith(","):
            lines[last_key - 1] = last.rstrip("\r\n") + "," + ending
        added = [
            f"{indent}{json.dumps(n)}: {json.dumps(v)}{',' if i < len(append) - 1 else ''}{ending}"
            for i, (n, v) in enumerate(append)
        ]
        lines[last_key:last_key] = added
    return "".join(lines)


def _rewrite_whole(
    document: jsonpos.Node, replace: dict[str, list[tuple[str, str]]], append: list[tuple[str, str]]
) -> str:
    data = dict(document.value)
    values: dict[str, object] = {}
    for name, value in dict(data.get("Values") or {}).items():
        if name in replace:
            values.update(replace[name])
        else:
            values[name] = value
    values.update(append)
    data["Values"] = values
    return json.dumps(data, indent=2) + "\n"
