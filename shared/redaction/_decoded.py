"""Runs of a text that say something else once decoded: character references and long hex.

A value written as numeric character references (``&#107;&#101;...``, what an HTML
encoder that escapes everything gives) or as the hex of its UTF-16 bytes is four to six
times its own length. Registering those forms would make every registry regex that much
larger (a registry compiles all its forms: ``_registry``), so scrubbing decodes
such runs of the text instead and asks the registry about what they say: a run whose
decoding holds a registered value, or a part of one, is redacted whole.

A hex run is read from its first and from its second digit (it may start in the middle of
a byte), and its bytes as UTF-8 and as UTF-16 in either byte order, from their first and
their second byte (a run may start in the middle of a code unit).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Final

__all__ = ["decoded_runs", "redact_decoded"]

#: Eight or more references in a row: shorter runs cannot hold a registered value.
_REFERENCES: Final = re.compile(r"(?:&#(?:[0-9]{1,7}+|[xX][0-9a-fA-F]{1,6}+);){8,}+")
_HEX: Final = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}+(?![0-9a-fA-F])")
_CODECS: Final = ("utf-8", "utf-16-le", "utf-16-be")


def decoded_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, what the run says)`` for each run of ``text`` worth decoding, once per
    way of reading it."""
    if "&#" in text:
        for match in _REFERENCES.finditer(text):
            yield match.start(), match.end(), html.unescape(match.group())
    for match in _HEX.finditer(text):
        run = match.group()
        for digit in (0, 1):
            data = bytes.fromhex(run[digit : digit + (len(run) - digit) // 2 * 2])
            for offset in (0, 1):
                for codec in _CODECS:
                    yield match.start(), match.end(), data[offset:].decode(codec, "ignore")


def redact_decoded(text: str, *, holds: Callable[[str], bool], mask: str) -> str:
    """``text`` with every run whose decoding ``holds`` a value replaced by ``mask``."""
    spans = sorted({(start, end) for start, end, said in decoded_runs(text) if holds(said)})
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for start, end in spans:
        if end <= pos:
            continue
        parts += (text[pos : max(start, pos)], mask)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
