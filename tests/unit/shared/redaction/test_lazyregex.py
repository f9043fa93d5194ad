"""A shape's pattern is compiled on first need, and then answers as ``re.compile`` would."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from devstack.runner import ROOT
from shared.redaction._lazyregex import LazyPattern

SOURCE = r"(?<![a-z])(ab+)c"


def test_nothing_is_compiled_before_the_first_use() -> None:
    pattern = LazyPattern(SOURCE)
    assert pattern._compiled is None
    assert pattern.search("1abbc") is not None
    assert pattern._compiled is not None
    assert pattern._compiled.pattern == SOURCE


def test_each_method_answers_as_the_compiled_pattern() -> None:
    lazy, eager = LazyPattern(SOURCE), re.compile(SOURCE)
    text = "abc zabc abbbc ac"
    assert [m.span(1) for m in lazy.finditer(text)] == [m.span(1) for m in eager.finditer(text)]
    for pos, endpos in ((0, None), (1, None), (9, 12), (9, 14)):
        found = lazy.search(text, pos, endpos)
        expected = eager.search(text, pos, len(text) if endpos is None else endpos)
        assert (found and found.span()) == (expected and expected.span())
    matched = lazy.match(text, 9)
    assert matched is not None
    assert matched.span() == (9, 14)
    assert lazy.match(text, 1) is None


_IMPORT = """
import json
from shared.redaction import shapes, _vendorshapes
compiled = [rule.regex.source for rule in shapes._RULES if rule.regex._compiled is not None]
before = len(compiled)
shapes.scan("a line with no key in it")
after = [rule.regex.source for rule in shapes._RULES if rule.regex._compiled is not None]
shapes.scan("token eyJ" + "a" * 20 + "." + "b" * 20 + "." + "c" * 30)
jwt = [rule.kind for rule in shapes._RULES if rule.regex._compiled is not None]
print(json.dumps([before, len(after), jwt]))
"""


def test_importing_the_shapes_compiles_no_pattern_and_a_scan_only_what_its_text_hints() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    before, after_plain, kinds = json.loads(out.stdout.splitlines()[-1])
    assert before == 0
    assert after_plain == 0  # the text holds no rule's hint (not even AWS's capital "A")
    assert kinds == ["jwt"]
