"""The jobs contract's whitespace class: the characters ``str.strip()`` removes, no more."""

from __future__ import annotations

import re
import sys

from blueprints.contracts.jobs import OPENAPI_SCHEMAS, WHITESPACE


def test_the_whitespace_class_is_exactly_what_isspace_accepts() -> None:
    # The source of truth is the interpreter's own Unicode database, over every code point.
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    expected = [char for char in every if char.isspace()]
    assert re.findall(f"[{WHITESPACE}]", every) == expected


def test_a_text_of_whitespace_only_fails_the_published_pattern() -> None:
    pattern = re.compile(OPENAPI_SCHEMAS["JobRequest"]["properties"]["text"]["pattern"])
    assert pattern.search(" \u3000\t\u2028") is None
    assert pattern.search(" \u3000x") is not None
