"""A regular expression compiled the first time it is used, not when its module loads.

Every line the app writes is scanned for secret shapes, but each shape's regex runs only
when the text holds its literal hint (``AzFu``, ``xox``, ``-----BEGIN ``…), and most
processes never see most hints. Compiling all of them at import cost the function app's
cold start about a tenth of its own import time; compiled on first need, a pattern costs
nothing until a text that could hold its shape arrives. Two threads racing to the first
use both compile the same pattern, which is harmless: the second result replaces an
equal first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


class LazyPattern:
    """The ``search``/``match``/``finditer`` of ``re.compile(source)``, compiled on first use."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiling it now if no call has yet)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.source)
        return compiled

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        if endpos is None:
            return self.compiled.search(text, pos)
        return self.compiled.search(text, pos, endpos)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(text, pos)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def __repr__(self) -> str:
        return f"LazyPattern({self.source!r})"
