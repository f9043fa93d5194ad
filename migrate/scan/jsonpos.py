"""JSON with line numbers: a finding in a settings file or an ARM template names its line.

``json`` reports where a document is broken but not where a valid value sits. The parser
here is run only on text ``json.loads`` accepted, so it needs no error handling of its own
beyond what guards against a mismatch; it returns nodes that keep the line of every value
and of every object key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    """A JSON value and the line it starts on; objects keep each key's line."""

    value: Any
    line: int
    end_line: int = 0  # the line the value ends on (its closing bracket for containers)
    members: dict[str, tuple[int, Node]] = field(default_factory=dict)  # key -> (key line, node)
    items: list[Node] = field(default_factory=list)

    def get(self, key: str) -> Node | None:
        member = self.members.get(key)
        return member[1] if member else None

    def key_line(self, key: str) -> int | None:
        member = self.members.get(key)
        return member[0] if member else None

    def walk(self) -> list[Node]:
        """This node and every node below it, in document order."""
        found = [self]
        for _, child in self.members.values():
            found.extend(child.walk())
        for item in self.items:
            found.extend(item.walk())
        return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.decoder = json.JSONDecoder()

    def _skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r\n":
            if text[pos] == "\n":
                self.line += 1
            pos += 1
        self.pos = pos

    def value(self) -> Node:
        self._skip()
        char = self.text[self.pos]
        line = self.line
        if char == "{":
            return self._object(line)
        if char == "[":
            return self._array(line)
        parsed, end = self.decoder.raw_decode(self.text, self.pos)
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end
        return Node(parsed, line, self.line)

    def _object(self, line: int) -> Node:
        node = Node({}, line)
        self.pos += 1
        self._skip()
        if self.text[self.pos] == "}":
            self.pos += 1
            node.end_line = self.line
            return node
        while True:
            self._skip()
            key_line = self.line
            key, self.pos = self.decoder.raw_decode(self.text, self.pos)
            self._skip()
            self.pos += 1  # ':'
            child = self.value()
            node.members[key] = (key_line, child)
            node.value[key] = child.value
            self._skip()
            closing = self.text[self.pos]
            self.pos += 1
            if closing == "}":
                node.end_line = self.line
                return node

    def _array(self, line: int) -> Node:
        node = Node([], line)
        self.pos += 1
        self._skip()
        if self.text[self.pos] == "]":
            self.pos += 1
            node.end_line = self.line
            return node
        while True:
            child = self.value()
            node.items.append(child)
            node.value.append(child.value)
            self._skip()
            closing = self.text[self.pos]
            self.pos += 1
            if closing == "]":
                node.end_line = self.line
                return node


def relax(text: str) -> str:
    """``text`` with comments and trailing commas blanked (offsets and lines kept).

    The Functions host and Core Tools read ``function.json``, ``host.json`` and
    ``local.settings.json`` with Json.NET, which accepts ``//`` and ``/* */`` comments and a
    comma before ``}`` or ``]``; ARM accepts comments in templates too. What they accept is
    what the scan reads; anything else is still refused with json's message.
    """
    out = list(text)
    i, n = 0, len(text)
    last_comma: int | None = None
    while i < n:
        char = text[i]
        if char == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            i = end + 1
            last_comma = None
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out[i:end] = [c if c == "\n" else " " for c in text[i:end]]
            i = end
            continue
        if char == ",":
            last_comma = i
        elif char in "}]" and last_comma is not None:
            out[last_comma] = " "
            last_comma = None
        elif not char.isspace():
            last_comma = None
        i += 1
    return "".join(out)


def parse(text: str) -> Node:
    """The document with line numbers, read as Json.NET reads it (comments and trailing
    commas allowed); raises ``ValueError`` (json's) if it is still not JSON."""
    text = relax(text.lstrip("\ufeff"))
    json.loads(text)  # the error a reader can act on, with its line and column
    return _Parser(text).value()
