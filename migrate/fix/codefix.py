"""The code fixer: libcst edits that keep every other character of the module as it was.

Per module, on the plan of :mod:`migrate.fix.codeplan`:

* ``Cls.from_connection_string(x, ...)`` becomes ``Cls(x, ..., credential=<app credential>)``
  and the read that produced ``x`` reads ``<setting>__<suffix>`` (a URL) instead;
* a secret-carrying credential becomes the app's credential, and reads of settings that only
  fed it become ``None``;
* a secret literal the scan reported becomes ``""`` (rotate it: it was in the code).

The app's credential is one lazily built ``DefaultAzureCredential`` (a
``ManagedIdentityCredential`` pinned by ``AZURE_CLIENT_ID`` with ``--client-id``) in a module
written next to the app's entry point, ``secretless_credential.py``, and imported where used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.fix.codeplan import Plan

HELPER_MODULE = "secretless_credential"
SYNC_NAME = "_migrate_credential"
ASYNC_NAME = "_migrate_async_credential"
_GETENV = {"getenv", "get", "setdefault"}

HELPER_SOURCE = '''"""One credential for the whole app, built on first use (written by migrate).

{what}
The SDK clients share it, so tokens are cached once per process.
"""

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def credential():
    """The app's identity, for synchronous clients."""
    from azure.identity import {cls}

    return {cls}({args})


@lru_cache(maxsize=1)
def async_credential():
    """The app's identity, for clients from ``.aio`` modules."""
    from azure.identity.aio import {cls}

    return {cls}({args})
'''


def helper_source(*, client_id: bool) -> str:
    if client_id:
        return HELPER_SOURCE.format(
            what="A ManagedIdentityCredential pinned to the user-assigned identity whose\n"
            "client id AZURE_CLIENT_ID holds: no other credential can answer for the app.",
            cls="ManagedIdentityCredential",
            args='client_id=os.environ["AZURE_CLIENT_ID"]',
        )
    return HELPER_SOURCE.format(
        what="DefaultAzureCredential: the managed identity in Azure (AZURE_CLIENT_ID selects a\n"
        "user-assigned one), a developer's sign-in locally.",
        cls="DefaultAzureCredential",
        args="",
    ).replace("import os\n", "")


@dataclass(slots=True)
class CodeResult:
    source: str
    changed_lines: list[tuple[int, str]] = field(default_factory=list)
    uses_helper: bool = False


def _like(original: cst.BaseExpression, value: str) -> cst.SimpleString:
    """A string literal of ``value`` in the quotes the original literal used."""
    quote = (
        "'" if isinstance(original, cst.SimpleString) and original.value.startswith("'") else '"'
    )
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return cst.SimpleString(f"{quote}{escaped}{quote}")


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class _Transformer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, plan: Plan, constants: dict[str, str], literal_lines: set[int]) -> None:
        super().__init__()
        self.plan = plan
        self.constants = constants
        self.literal_lines = literal_lines
        self.changed: list[tuple[int, str]] = []
        self.sync = False
        self.asynchronous = False

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _setting(self, node: cst.BaseExpression) -> str | None:
        value = _string_value(node)
        if value is None and isinstance(node, cst.Name):
            value = self.constants.get(node.value)
        return value

    def _credential_call(self, asynchronous: bool) -> cst.Call:
        if asynchronous:
            self.asynchronous = True
            return cst.Call(func=cst.Name(ASYNC_NAME))
        self.sync = True
        return cst.Call(func=cst.Name(SYNC_NAME))

    def _env_key(self, node: cst.BaseExpression) -> tuple[int, str] | None:
        """(line, setting) when ``node`` reads an app setting."""
        if isinstance(node, cst.Subscript) and _is_environ(node.value) and len(node.slice) == 1:
            element = node.slice[0].slice
            if isinstance(element, cst.Index):
                setting = self._setting(element.value)
                return (self._line(node), setting) if setting else None
        if isinstance(node, cst.Call) and node.args and _is_getenv(node.func):
            setting = self._setting(node.args[0].value)
            return (self._line(node), setting) if setting else None
        return None

    def leave_Subscript(
        self, original: cst.Subscript, updated: cst.Subscript
    ) -> cst.BaseExpression:
        key = self._env_key(original)
        if key is None:
            return updated
        if key in self.plan.unused_reads:
            self.changed.append((key[0], f"{key[1]} is no longer read (its only use is gone)"))
            return cst.Name("None")
        new = self.plan.reads.get(key)
        if new is not None:
            self.changed.append((key[0], f"reads {new} (a URL) instead of {key[1]}"))
            old = original.slice[0].slice
            literal = _like(old.value if isinstance(old, cst.Index) else old, new)  # type: ignore[arg-type]
            element = cst.SubscriptElement(slice=cst.Index(value=literal))
            return updated.with_changes(slice=[element])
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        line = self._line(original)
        key = self._env_key(original)
        if key is not None:
            if key in self.plan.unused_reads:
                self.changed.append((key[0], f"{key[1]} is no longer read (its only use is gone)"))
                return cst.Name("None")
            new = self.plan.reads.get(key)
            if new is not None:
                self.changed.append((key[0], f"reads {new} (a URL) instead of {key[1]}"))
                first = updated.args[0].with_changes(value=_like(original.args[0].value, new))
                return updated.with_changes(args=[first, *updated.args[1:]])
            return updated
        func = original.func
        rewrite = self.plan.clients.get(line)
        if (
            rewrite
            and isinstance(func, cst.Attribute)
            and func.attr.value == "from_connection_string"
        ):
            return self._client(
                updated, rewrite.url_keyword, rewrite.asynchronous, line, rewrite.cls
            )
        if line in self.plan.credentials and _callee_name(func) is not None:
            self.changed.append((line, f"{_callee_name(func)} replaced by the app's identity"))
            return self._credential_call(line in self.plan.async_lines)
        return updated

    def _client(
        self, call: cst.Call, url_keyword: str, asynchronous: bool, line: int, cls: str
    ) -> cst.Call:
        if not isinstance(call.func, cst.Attribute):  # the plan only names attribute calls
            return call
        args = []
        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == "credential":
                continue  # a SAS or key beside the connection string: the identity replaces it
            if arg.keyword is not None and arg.keyword.value in {"conn_str", "connection_string"}:
                arg = arg.with_changes(keyword=cst.Name(url_keyword))
            elif index == 0 and arg.keyword is None and url_keyword == "connection_string":
                arg = arg.with_changes(
                    keyword=cst.Name(url_keyword),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
            args.append(arg)
        credential = cst.Arg(
            keyword=cst.Name("credential"),
            value=self._credential_call(asynchronous),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        if args and not isinstance(call.args[-1].comma, cst.Comma):
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)  # no trailing comma
        if args:
            args[-1], credential = _append_layout(call, args, credential)
        what = (
            "sends telemetry with the app's identity"
            if url_keyword == "connection_string"
            else ("built from its service URL with the app's identity")
        )
        self.changed.append((line, f"{cls} {what}"))
        return call.with_changes(func=call.func.value, args=[*args, credential])

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.BaseExpression:
        line = self._line(original)
        if line in self.literal_lines and len(str(original.evaluated_value)) >= 16:
            self.changed.append((line, "a secret literal removed (rotate it)"))
            return cst.SimpleString('""')
        return updated


def _fresh_line(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """A new line with the indentation of ``ws`` but none of its comments."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=ws.indent, last_line=ws.last_line
        )
    return cst.SimpleWhitespace(" ")


def _append_layout(
    call: cst.Call, args: list[cst.Arg], credential: cst.Arg
) -> tuple[cst.Arg, cst.Arg]:
    """The last argument and the new ``credential=`` one, laid out as the call already is:
    on a line of its own in a call written one argument per line, keeping a trailing comma
    and the line the closing parenthesis was on; after ", " in a one-line call."""
    last = args[-1]
    if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
        before = args[-2].comma.whitespace_after
    else:
        before = call.whitespace_before_args
    multiline = isinstance(before, cst.ParenthesizedWhitespace)
    separator = _fresh_line(before) if multiline else cst.SimpleWhitespace(" ")
    if isinstance(last.comma, cst.Comma):  # a trailing comma: keep it after the new argument
        closing = last.comma.whitespace_after
        return (
            last.with_changes(comma=cst.Comma(whitespace_after=separator)),
            credential.with_changes(comma=cst.Comma(whitespace_after=closing)),
        )
    return (
        last.with_changes(
            comma=cst.Comma(whitespace_after=separator),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        ),
        credential.with_changes(whitespace_after_arg=last.whitespace_after_arg),
    )


def _is_environ(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Attribute) and node.attr.value == "environ") or (
        isinstance(node, cst.Name) and node.value == "environ"
    )


def _is_getenv(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Attribute):
        if node.attr.value == "getenv":
            return True
        return node.attr.value in _GETENV and _is_environ(node.value)
    return isinstance(node, cst.Name) and node.value == "getenv"


def _callee_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def apply(
    text: str, plan: Plan, *, constants: dict[str, str], literal_lines: set[int]
) -> CodeResult:
    module = cst.parse_module(text)
    transformer = _Transformer(plan, constants, literal_lines)
    changed = MetadataWrapper(module).visit(transformer)
    imports = []
    if transformer.sync:
        imports.append(f"credential as {SYNC_NAME}")
    if transformer.asynchronous:
        imports.append(f"async_credential as {ASYNC_NAME}")
    if imports:
        statement = cst.parse_statement(f"from {HELPER_MODULE} import {', '.join(imports)}\n")
        if not isinstance(statement, cst.SimpleStatementLine):  # an import is one; never reached
            raise TypeError("an import statement was expected")
        changed = _insert_import(changed, statement)
    return CodeResult(changed.code, sorted(set(transformer.changed)), bool(imports))


def _insert_import(module: cst.Module, statement: cst.SimpleStatementLine) -> cst.Module:
    """After the last top-level import (so it follows ``from __future__`` and the docstring)."""
    body = list(module.body)
    position = 0
    for index, item in enumerate(body):
        if isinstance(item, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Import | cst.ImportFrom) for small in item.body
        ):
            position = index + 1
        elif (
            index == 0
            and isinstance(item, cst.SimpleStatementLine)
            and isinstance(item.body[0], cst.Expr)
            and isinstance(item.body[0].value, cst.SimpleString)
        ):
            position = 1
    body.insert(position, statement)
    return module.with_changes(body=body)
