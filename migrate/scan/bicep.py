"""Bicep templates: resources that leave keys on, settings built from keys, access policies.

The file is read as tokens first (:mod:`migrate.scan.biceptext`), so a comment never counts
and a file that is not Bicep is reported, not half-read. Resource bodies come from paired
braces; ``existing`` resources are skipped for property rules (they are configured
elsewhere) but still name a service for ``x.listKeys()``.
"""

from __future__ import annotations

import re

from migrate.model import Finding, Problem
from migrate.scan.biceptext import BicepSyntaxError, BicepText, read
from migrate.scan.infrarules import (
    AI_AUTH,
    AI_CONNECTION,
    AI_KEY,
    KEYED_TEXT,
    LIST_CALL,
    LOCAL_AUTH,
    STORAGE_ACCOUNT,
    VAULT,
    VAULT_POLICIES,
    finding,
    keep_strongest,
    list_service,
)
from migrate.tree import SourceFile

_RESOURCE = re.compile(
    r"^[ \t]*resource\s+(\w+)\s+'([^'@]+)(?:@[^']*)?'\s+(existing\s+)?=", re.MULTILINE
)
_SYMBOL_CALL = re.compile(r"(\w+)\.list\w*\s*\(")
_RESOURCE_ID = re.compile(r"resourceId\(\s*'([^']+)'")
_KEY_OF_LINE = re.compile(r"^\s*'?(\w+)'?\s*:")
_NAME_ENTRY = re.compile(r"name\s*:\s*'([^']+)'")
_IDENTITY_NAME = re.compile(r"['\s{,](\w+__\w+)'?\s*:|name\s*:\s*'(\w+__\w+)'")
_AUTH_LEVEL = re.compile(r"authLevel\s*:\s*'(function|admin)'", re.IGNORECASE)
_WEBHOOK = re.compile(r"endpointType\s*:\s*'WebHook'", re.IGNORECASE)


def scan(source: SourceFile) -> tuple[list[Finding], set[str]] | Problem:
    try:
        bicep = read(source.text)
    except BicepSyntaxError as exc:
        return Problem(source.relative, f"not valid Bicep: {exc}; not scanned")
    file = source.relative
    found: list[Finding] = []
    symbols: dict[str, str] = {}
    for match in _RESOURCE.finditer(bicep.code):
        symbol, kind, existing = match.group(1), match.group(2), bool(match.group(3))
        symbols[symbol] = kind
        if not existing:
            _resource(bicep, match, kind.lower(), file, found)
    lines = bicep.lines()
    has_ai_auth = AI_AUTH in bicep.code
    identity_names: set[str] = set()
    for index, text in enumerate(lines):
        number = index + 1
        for match in _IDENTITY_NAME.finditer(text):
            identity_names.add(match.group(1) or match.group(2))
        setting = _setting_of(lines, index)
        if LIST_CALL.search(text):
            symbol = _SYMBOL_CALL.search(text)
            typed = _RESOURCE_ID.search(text)
            kind = symbols.get(symbol.group(1)) if symbol else None
            kind = kind or (typed.group(1) if typed else None) or _symbol_in(text, symbols)
            service = list_service(text, setting, kind)
            what = (
                f"{setting} set from a list*() call" if setting else "keys read with a list*() call"
            )
            found.append(
                finding("MIG-INFRA-LISTKEYS", file, number, service, what, setting=setting)
            )
        elif KEYED_TEXT.search(text):
            found.append(
                finding(
                    "MIG-INFRA-KEYEDCONN",
                    file,
                    number,
                    list_service(text, setting, None),
                    "a connection string with a key is built",
                    setting=setting,
                )
            )
        if _names_setting(text, AI_KEY) or (
            _names_setting(text, AI_CONNECTION) and not has_ai_auth
        ):
            name = AI_KEY if AI_KEY in text else AI_CONNECTION
            found.append(
                finding(
                    "MIG-INFRA-AIKEY",
                    file,
                    number,
                    "appinsights",
                    f"{name}: telemetry with the instrumentation key",
                )
            )
        level = _AUTH_LEVEL.search(text)
        if level:
            found.append(
                finding(
                    "MIG-INFRA-AUTHLEVEL",
                    file,
                    number,
                    "functions",
                    f"HTTP trigger with authLevel {level.group(1)}",
                )
            )
    return keep_strongest(found), identity_names


def _names_setting(line: str, name: str) -> bool:
    """``name: 'NAME'`` or ``NAME: value`` (an app setting), not ``output NAME string``."""
    if line.lstrip().startswith(("output ", "param ", "var ")):
        return False
    return (f"'{name}'" in line and "name" in line) or re.search(
        rf"(?<![\w.'$]){name}\s*:", line
    ) is not None


def _symbol_in(text: str, symbols: dict[str, str]) -> str | None:
    for symbol, kind in symbols.items():
        if re.search(rf"\b{re.escape(symbol)}\b", text):
            return kind
    return None


def _setting_of(lines: list[str], index: int) -> str | None:
    """The app setting a line's value belongs to: ``NAME: value`` on the line, or the
    ``name: 'NAME'`` just before a ``value:`` line."""
    key = _KEY_OF_LINE.match(lines[index])
    if key and key.group(1) != "value":
        return key.group(1)
    for back in range(index, max(index - 4, -1), -1):
        entry = _NAME_ENTRY.search(lines[back])
        if entry:
            return entry.group(1)
    return None


def _body(bicep: BicepText, start: int) -> tuple[int, int] | None:
    brace = bicep.code.find("{", start)
    if brace < 0 or brace not in bicep.pairs:
        return None
    return brace, bicep.pairs[brace]


def _property(bicep: BicepText, span: tuple[int, int], name: str) -> tuple[int, str] | None:
    match = re.compile(rf"\b{name}\s*:\s*([^\n,}}]*)").search(bicep.code, span[0], span[1])
    if match is None:
        return None
    return bicep.line_of(match.start()), match.group(1).strip()


def _resource(
    bicep: BicepText, match: re.Match[str], kind: str, file: str, found: list[Finding]
) -> None:
    line = bicep.line_of(match.start(1))
    span = _body(bicep, match.end())
    if span is None:
        return
    if kind == STORAGE_ACCOUNT:
        prop = _property(bicep, span, "allowSharedKeyAccess")
        if prop is None or prop[1] != "false":
            where = prop[0] if prop else line
            found.append(
                finding(
                    "MIG-INFRA-SHAREDKEY",
                    file,
                    where,
                    "storage",
                    "Shared Key access is not turned off",
                )
            )
    elif kind in LOCAL_AUTH:
        prop = _property(bicep, span, "disableLocalAuth")
        if prop is None or prop[1] != "true":
            where = prop[0] if prop else line
            found.append(
                finding(
                    "MIG-INFRA-LOCALAUTH",
                    file,
                    where,
                    LOCAL_AUTH[kind],
                    "local (key) authentication is on",
                )
            )
    elif kind == VAULT:
        prop = _property(bicep, span, "accessPolicies")
        rbac = _property(bicep, span, "enableRbacAuthorization")
        if prop is not None and prop[1] != "[]" and not (rbac and rbac[1] == "true"):
            found.append(
                finding(
                    "MIG-INFRA-KVPOLICY",
                    file,
                    prop[0],
                    "keyvault",
                    "access policies grant the vault's secrets",
                )
            )
    elif kind == VAULT_POLICIES:
        found.append(
            finding(
                "MIG-INFRA-KVPOLICY",
                file,
                line,
                "keyvault",
                "an access policy grants the vault's secrets",
            )
        )
    elif kind.endswith("/eventsubscriptions"):
        hook = _WEBHOOK.search(bicep.code, span[0], span[1])
        if hook:
            found.append(
                finding(
                    "MIG-INFRA-WEBHOOK",
                    file,
                    bicep.line_of(hook.start()),
                    "eventgrid",
                    "events delivered to a webhook",
                )
            )
