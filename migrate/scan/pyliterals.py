"""Code rules on literals, dictionaries and assignments: keys written in the code, keys in
headers and query strings, account keys taken out of (or put into) connection strings."""

from __future__ import annotations

import ast
import re
from typing import Final

from migrate.scan.codefindings import LineFindings, arg_name, last, mark
from migrate.scan.pyfacts import ModuleFacts
from migrate.services import is_secret_name, service_of_name
from shared.redaction.shapes import contains_secret

KEY_HEADERS: Final = dict(
    [
        ("ocp-apim-subscription-key", "apim"),
        ("x-functions-key", "functions"),
        ("api-key", "cognitiveservices"),
        ("x-api-key", "third-party"),
        ("apikey", "third-party"),
    ]
)
KEY_QUERY: Final = frozenset({"code", "subscription-key", "api-key", "apikey", "api_key", "key"})
URL_KEY = re.compile(r"[?&](?:code|subscription-key|api-key|apikey)=(?:[A-Za-z0-9%_-]{8,}|\{)")
KEY_FIELDS = frozenset({"AccountKey", "SharedAccessKey", "SharedAccessSignature"})
CONN_BUILD = re.compile(r"(?:AccountKey|SharedAccessKey)=", re.IGNORECASE)
KEYLIKE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/=_~.\-]{16,}$")


def headers(node: ast.Dict, facts: ModuleFacts, out: LineFindings) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        text = facts.string(key) if key is not None else None
        if key is None or not text:
            continue
        header = text.lower()
        if header in KEY_HEADERS or (header == "authorization" and _shared_key(value)):
            reads = facts.reads_in(value)
            hinted = [service_of_name(r.name, "") for r in reads]
            service = next((s for s in hinted if s), KEY_HEADERS.get(header, "storage"))
            mark(reads, service)
            out.add("MIG-CODE-KEYHEADER", key.lineno, service, f"a key in the '{text}' header")


def _shared_key(node: ast.expr) -> bool:
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    first = parts[0] if parts else None
    return isinstance(first, ast.Constant) and str(first.value).startswith("SharedKey ")


def assignment(node: ast.Assign, facts: ModuleFacts, out: LineFindings) -> None:
    for target in node.targets:
        if isinstance(target, ast.Subscript):  # headers["x-functions-key"] = ...
            text = facts.string(target.slice)
            if text and text.lower() in KEY_HEADERS:
                out.add(
                    "MIG-CODE-KEYHEADER",
                    node.lineno,
                    KEY_HEADERS[text.lower()],
                    f"a key in the '{text}' header",
                )
        name = arg_name(target)
        if not name:
            continue
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if (
                is_secret_name(name)
                and KEYLIKE.match(value.value)
                and not _placeholder(value.value)
            ):
                out.add(
                    "MIG-CODE-LITERAL",
                    node.lineno,
                    service_of_name(name),
                    f"a literal assigned to '{name}'",
                )
        elif name == "api_key" and isinstance(target, ast.Attribute):
            reads = facts.reads_in(value)
            service = service_of_name(last(facts.qualified(target.value)), "third-party")
            mark(reads, service)
            out.add("MIG-CODE-KEYCRED", node.lineno, service, "an API key set on the client module")


def _placeholder(value: str) -> bool:
    return value.startswith(("<", "{", "${", "$(", "%")) or (value.isupper() and "_" in value)


def literal(node: ast.Constant, facts: ModuleFacts, out: LineFindings) -> None:
    if id(node) in facts.docstrings:
        return
    value = str(node.value)
    if len(value) >= 16 and contains_secret(value):
        out.add("MIG-CODE-LITERAL", node.lineno, _literal_service(value), "a secret-shaped literal")
    elif value.strip() in KEY_FIELDS:
        out.add(
            "MIG-CODE-ACCOUNTKEY",
            node.lineno,
            "storage" if "Account" in value else "servicebus",
            f"the '{value.strip()}' field of a connection string is used",
        )
    elif CONN_BUILD.search(value):
        out.add(
            "MIG-CODE-ACCOUNTKEY", node.lineno, "storage", "a connection string with a key is built"
        )
    elif URL_KEY.search(value):
        out.add(
            "MIG-CODE-KEYHEADER",
            node.lineno,
            "functions" if "code=" in value else "third-party",
            "a key in a URL's query",
        )


def _literal_service(value: str) -> str:
    lowered = value.lower()
    if "documents.azure.com" in lowered:
        return "cosmosdb"
    if "servicebus.windows.net" in lowered:
        return "servicebus"
    return "storage" if "accountkey" in lowered else "third-party"


def fstring(node: ast.JoinedStr, out: LineFindings) -> None:
    text = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    if CONN_BUILD.search(text):
        out.add(
            "MIG-CODE-ACCOUNTKEY", node.lineno, "storage", "a connection string with a key is built"
        )
    elif URL_KEY.search(text + "{"):
        out.add(
            "MIG-CODE-KEYHEADER",
            node.lineno,
            "functions" if "code=" in text else "third-party",
            "a key in a URL's query",
        )
