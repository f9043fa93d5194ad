"""The registered secret values (in all their encodings) and the regexes that find them.

:mod:`shared.redaction` registers every value a :class:`~shared.redaction.Secret` wraps and
asks this registry where such values sit in a text. Compiling one regex over every form is
the fast way to match, but compiling is slow for thousands of forms, so new forms go into a
small regex of their own and regexes of similar size are merged, as in a binary counter: a
registration costs amortised O(log n) recompiles and a search runs O(log n) regexes.
Compilation happens lazily, on the first search after registrations.

The registry holds every registered value in clear, so it keeps them out of reach the way a
``Secret`` does: its attributes cannot be read from outside (``"{0._known}".format(...)``
raises), its repr names nothing, and compiled patterns are dropped from :mod:`re`'s module
cache (``re.purge``), which would otherwise keep their text for any reader of ``re._cache``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any, Final
from urllib.parse import quote, quote_plus

#: Shorter values are not registered: scrubbing them would mangle ordinary text.
MIN_SECRET_LENGTH: Final = 8
_Trie = dict[str, "_Trie"]
_get: Final = object.__getattribute__  # the one way in, for this module's own code


class Registry:
    """Registered forms and their regexes; thread-safe. Use :meth:`add` and :meth:`spans`."""

    __slots__ = ("_known", "_levels", "_lock", "_patterns", "_pending")

    def __init__(self) -> None:
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_known", set())
        object.__setattr__(self, "_pending", set())
        object.__setattr__(self, "_levels", [])
        object.__setattr__(self, "_patterns", ())

    def __getattribute__(self, name: str) -> Any:
        # Special names only: the registry's state is read by this module's functions, never
        # by attribute access from outside (a format string or a template walking objects).
        if name.startswith("__") and name.endswith("__"):
            return _get(self, name)
        if name in ("add", "spans", "holds"):
            return _get(self, name)
        raise AttributeError(f"the registry has no readable attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the registry is changed only through add()")

    def __repr__(self) -> str:
        return "<registered secret values>"

    def __len__(self) -> int:
        return len(_get(self, "_known"))

    def add(self, forms: set[str]) -> None:
        """Remember ``forms`` (a value in each of its encodings)."""
        with _get(self, "_lock"):
            known: set[str] = _get(self, "_known")
            new = forms - known
            known |= new
            _get(self, "_pending").update(new)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where registered forms sit in ``text``, sorted; overlapping matches all reported."""
        return sorted(m.span(1) for p in _patterns(self) for m in p.finditer(text))

    def holds(self, text: str) -> bool:
        """Whether any registered form occurs in ``text``."""
        return any(p.search(text) for p in _patterns(self))


def _patterns(registry: Registry) -> tuple[re.Pattern[str], ...]:
    if _get(registry, "_pending"):
        with _get(registry, "_lock"):
            pending: set[str] = _get(registry, "_pending")
            if pending:
                level = set(pending)
                pending.clear()
                levels: list[tuple[set[str], re.Pattern[str]]] = _get(registry, "_levels")
                while levels and len(levels[-1][0]) <= 2 * len(level):
                    level = levels.pop()[0] | level
                # A look-ahead reports a match at every offset, so values that overlap in
                # the text are all found, not only the leftmost.
                levels.append((level, re.compile(f"(?=({_trie_pattern(level)}))")))
                re.purge()  # re's cache would keep the pattern's text (the values) readable
                object.__setattr__(registry, "_patterns", tuple(p for _, p in levels))
    patterns: tuple[re.Pattern[str], ...] = _get(registry, "_patterns")
    return patterns


def _trie_pattern(words: set[str]) -> str:
    """One regex matching any of ``words``, longest first, in time independent of their count.

    A plain alternation tries every word at every offset; a trie shares prefixes, so
    the engine follows one branch. Single-child chains are folded into literals, which
    keeps nesting (and the regex compiler's recursion) to the number of branch points.
    """
    root: _Trie = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # end of a word

    def render(node: _Trie) -> str:
        literal = ""
        while len(node) == 1 and "" not in node:
            ((char, node),) = node.items()
            literal += re.escape(char)
        branches = [re.escape(char) + render(child) for char, child in node.items() if char]
        if not branches:
            return literal
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word ends here; prefer the longer one
            group = f"(?:{group})?"
        return literal + group

    return render(root)


def _lower_hex(encoded: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)


def encodings(value: str) -> set[str]:
    """The forms a value takes in the text it may leak into.

    Raw; base64, standard and URL-safe, padded or not (headers, Basic auth, blobs);
    URL-encoded as a path and as a form (upper and lower-case hex); JSON-escaped; hex of
    its UTF-8 bytes (lower and upper case: digests, hex dumps); and Python's repr of the
    text and of its bytes (``http.client``'s debug output prints ``repr`` of what it sends).

    Deliberately not: reversed, rot13, XOR or any other transformation nobody applies by
    accident. A party that encodes the value on purpose can pick a form no list holds;
    against that, the partner's answer is held to an allow-list of narrow formats
    (:mod:`shared.partner._answer`), which leaves no field to carry it.
    """
    raw = value.encode("utf-8", "surrogatepass")
    forms = {value, raw.hex(), raw.hex().upper(), repr(value)[1:-1], repr(raw)[2:-1]}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    for url in (quote(value, safe=""), quote(value), quote_plus(value, safe="")):
        forms |= {url, _lower_hex(url)}
    for escaped in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        forms.add(escaped[1:-1])
    forms.add(value.replace("/", "\\/"))  # JSON encoders that escape the solidus
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def pattern_count(registry: Registry) -> int:
    """How many regexes a search runs (for tests of the merging)."""
    return len(_patterns(registry))
