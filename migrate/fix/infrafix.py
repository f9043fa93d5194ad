"""Templates: app settings built from keys become identity-based settings.

In Bicep, a setting written as ``NAME: '...${storage.listKeys()...}'`` (object form) or as
``{ name: 'NAME' value: '...' }`` (array form) becomes one setting per identity property,
its value read from the resource the key came from (``storage.properties.primaryEndpoints.blob``);
in ARM JSON, the ``{"name", "value"}`` item becomes items whose value is
``reference(<the id listKeys was given>, ...).primaryEndpoints.blob``. Only settings the app's
connections use are changed, and only when the resource can be named: the rest is left with
the reason (the content share's connection string, for one, needs a key on plans with Azure
Files).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from migrate.fix.report import FixReport
from migrate.model import Finding
from migrate.scan import jsonpos
from migrate.scan.biceptext import BicepSyntaxError, read
from migrate.scan.infrarules import LIST_CALL

OBSOLETE = {"AzureWebJobsDashboard"}
CONTENT_SHARE = "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"
_SYMBOL = re.compile(r"(\w+)\.list\w*\s*\(")
_ENDPOINTS = {"blobServiceUri": "blob", "queueServiceUri": "queue", "tableServiceUri": "table"}
_STORAGE_API = "2023-05-01"


def _bicep_value(suffix: str, symbol: str) -> str | None:
    if suffix in _ENDPOINTS:
        return f"{symbol}.properties.primaryEndpoints.{_ENDPOINTS[suffix]}"
    if suffix == "fullyQualifiedNamespace":
        return f"'${{{symbol}.name}}.servicebus.windows.net'"
    if suffix == "accountEndpoint":
        return f"{symbol}.properties.documentEndpoint"
    return None


def fix_bicep(
    path: Path,
    relative: str,
    findings: list[Finding],
    wanted: dict[str, dict[str, str]],
    report: FixReport,
) -> None:
    """``wanted``: setting name -> {identity suffix: service} for the settings to migrate."""
    text = path.read_text(encoding="utf-8")
    try:
        bicep = read(text)
    except BicepSyntaxError:
        return
    lines = text.splitlines(keepends=True)
    edits: dict[int, tuple[int, list[str]]] = {}  # first line -> (last line, new lines)
    for finding in sorted(findings, key=lambda f: f.line):
        setting = finding.setting
        line_text = lines[finding.line - 1]
        if setting in OBSOLETE:
            span = _array_entry(bicep, lines, finding.line) or (finding.line, finding.line)
            edits[span[0]] = (span[1], [])
            report.changed(
                relative, f"{setting} removed (obsolete since runtime 2.x; it held a key)"
            )
            continue
        if setting is None or setting not in wanted:
            continue
        symbol = _SYMBOL.search(line_text)
        if symbol is None:
            report.leave(
                relative,
                finding.line,
                finding.rule,
                "the key's resource is not a symbol "
                "of this file: set the identity-based settings by hand",
            )
            continue
        values = [(f"{setting}__{s}", _bicep_value(s, symbol.group(1))) for s in wanted[setting]]
        if any(value is None for _, value in values):
            continue
        indent = line_text[: len(line_text) - len(line_text.lstrip())]
        entry = _array_entry(bicep, lines, finding.line)
        if entry is None:  # object form: NAME: value
            edits[finding.line] = (finding.line, [f"{indent}{n}: {v}\n" for n, v in values])
        else:
            first, last = entry
            outer = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
            inner = outer + "  "
            block = []
            for name, value in values:
                block += [
                    f"{outer}{{\n",
                    f"{inner}name: '{name}'\n",
                    f"{inner}value: {value}\n",
                    f"{outer}}}\n",
                ]
            edits[first] = (last, block)
        report.changed(relative, f"{setting} replaced by {', '.join(n for n, _ in values)}")
    if not edits:
        return
    for first in sorted(edits, reverse=True):
        last, new = edits[first]
        lines[first - 1 : last] = new
    path.write_text("".join(lines), encoding="utf-8")


def _array_entry(bicep: object, lines: list[str], line: int) -> tuple[int, int] | None:
    """Lines of the ``{ name: ... value: ... }`` object holding ``line``, if it is one."""
    if not re.match(r"\s*value\s*:", lines[line - 1]):
        return None
    first = line - 1
    while first > 0 and not lines[first - 1].strip().startswith("{"):
        first -= 1
        if re.match(r"\s*\w+\s*:\s*\[", lines[first - 1]):
            return None
    last = line
    while last < len(lines) and not lines[last - 1].strip().startswith("}"):
        last += 1
    if first == 0 or not re.search(r"name\s*:\s*'", "".join(lines[first - 1 : last])):
        return None
    return first, last


def _list_argument(text: str) -> str | None:
    """The first argument of the ``listKeys(...)`` call in an ARM expression."""
    match = LIST_CALL.search(text)
    if match is None:
        return None
    depth, start = 0, match.end()
    for index in range(start, len(text)):
        char = text[index]
        if char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                return text[start:index].strip()
            depth -= 1
        elif char == "," and depth == 0:
            return text[start:index].strip()
    return None


def _arm_value(suffix: str, resource: str) -> str | None:
    if suffix in _ENDPOINTS:
        return f"[reference({resource}, '{_STORAGE_API}').primaryEndpoints.{_ENDPOINTS[suffix]}]"
    return None


def fix_arm(
    path: Path,
    relative: str,
    findings: list[Finding],
    wanted: dict[str, dict[str, str]],
    report: FixReport,
) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        document = jsonpos.parse(text)
    except ValueError:
        return
    lines = text.splitlines(keepends=True)
    items = {
        node.key_line("value") or node.line: node
        for node in document.walk()
        if isinstance(node.value, dict) and "name" in node.value and "value" in node.value
    }
    edits: dict[int, tuple[int, list[str]]] = {}
    for finding in findings:
        node = items.get(finding.line)
        setting = finding.setting
        if node is None or setting is None:
            continue
        if setting in OBSOLETE or setting in wanted:
            resource = _list_argument(str(node.value["value"]))
            suffixes = wanted.get(setting, {})
            new_items = (
                []
                if setting in OBSOLETE
                else [
                    {"name": f"{setting}__{s}", "value": _arm_value(s, resource)} for s in suffixes
                ]
                if resource
                else None
            )
            if new_items is None or any(item["value"] is None for item in new_items):
                report.leave(
                    relative,
                    finding.line,
                    finding.rule,
                    "the key's resource could not be "
                    "read from the expression: set the identity-based settings by hand",
                )
                continue
            first, last = node.line, node.end_line
            original_last = lines[last - 1]
            comma = original_last.rstrip().endswith(",")
            indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
            rendered = [
                f"{indent}{json.dumps(item)}{',' if i < len(new_items) - 1 or comma else ''}\n"
                for i, item in enumerate(new_items)
            ]
            edits[first] = (last, rendered)
            what = (
                "removed (obsolete since runtime 2.x; it held a key)"
                if setting in OBSOLETE
                else ("replaced by " + ", ".join(str(item["name"]) for item in new_items))
            )
            report.changed(relative, f"{setting} {what}")
    if not edits:
        return
    for first in sorted(edits, reverse=True):
        last, new = edits[first]
        lines[first - 1 : last] = new
    new_text = "".join(lines)
    try:
        strict = text.lstrip("\ufeff") == jsonpos.relax(text.lstrip("\ufeff"))
        json.loads(
            new_text.lstrip("\ufeff") if strict else jsonpos.relax(new_text.lstrip("\ufeff"))
        )
    except ValueError:
        report.leave(
            relative,
            1,
            "MIG-INFRA-LISTKEYS",
            "the template could not be rewritten "
            "without breaking it (an entry at the end of a list): change it by hand",
        )
        return
    path.write_text(new_text, encoding="utf-8")


def keyed(finding: Finding) -> bool:
    return finding.rule in {"MIG-INFRA-LISTKEYS", "MIG-INFRA-KEYEDCONN"}
