"""A Bicep file read as tokens: comments blanked, strings kept, brackets paired.

Enough of Bicep's grammar to find resources and their bodies and to refuse a file that is
not Bicep, without a full parser: strings (``'...'`` with ``\\'`` escapes and ``${...}``
interpolation, ``'''...'''`` multi-line), comments (``//``, ``/* */``) and the three bracket
kinds. An unterminated string or comment, or a bracket that does not pair, makes the file
unparsable and names the line.
"""

from __future__ import annotations

from dataclasses import dataclass

_PAIRS = {"{": "}", "[": "]", "(": ")"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


class BicepSyntaxError(ValueError):
    """The text is not Bicep; the message names the line."""


@dataclass(slots=True)
class BicepText:
    text: str
    code: str  # the text with comments blanked (newlines kept, so offsets and lines agree)
    pairs: dict[int, int]  # offset of an opening bracket -> offset of its closing one
    line_starts: list[int]

    def line_of(self, offset: int) -> int:
        from bisect import bisect_right

        return bisect_right(self.line_starts, offset)

    def lines(self) -> list[str]:
        return self.code.split("\n")


def read(text: str) -> BicepText:
    code = list(text)
    pairs: dict[int, int] = {}
    stack: list[tuple[str, int]] = []  # bracket, offset; "${" interpolations push "{"
    interpolation_depths: list[int] = []  # stack depth at which an interpolation was opened
    i, n = 0, len(text)

    def line(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if code[k] != "\n":
                code[k] = " "

    in_string_from: int | None = None
    while i < n:
        char = text[i]
        if in_string_from is not None:  # inside a '...' string
            if char == "\\":
                i += 2
                continue
            if char == "'":
                in_string_from = None
            elif text.startswith("${", i):
                stack.append(("{", i + 1))
                interpolation_depths.append(len(stack))
                in_string_from = None
                i += 2
                continue
            elif char == "\n":
                raise BicepSyntaxError(f"unterminated string (line {line(i)})")
            i += 1
            continue
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            if end < 0:
                raise BicepSyntaxError(f"unterminated multi-line string (line {line(i)})")
            i = end + 3
        elif char == "'":
            in_string_from = i
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise BicepSyntaxError(f"unterminated comment (line {line(i)})")
            blank(i, end + 2)
            i = end + 2
        elif char in _PAIRS:
            stack.append((char, i))
            i += 1
        elif char in _CLOSERS:
            if not stack or stack[-1][0] != _CLOSERS[char]:
                raise BicepSyntaxError(f"unexpected '{char}' (line {line(i)})")
            _, opened = stack.pop()
            pairs[opened] = i
            i += 1
            if interpolation_depths and interpolation_depths[-1] == len(stack) + 1:
                interpolation_depths.pop()
                in_string_from = i  # back inside the string the interpolation was in
        else:
            i += 1
    if in_string_from is not None:
        raise BicepSyntaxError(f"unterminated string (line {line(in_string_from)})")
    if stack:
        bracket, opened = stack[-1]
        raise BicepSyntaxError(f"'{bracket}' opened on line {line(opened)} is never closed")
    starts = [0] + [k + 1 for k, c in enumerate(text) if c == "\n"]
    return BicepText(text, "".join(code), pairs, starts)
