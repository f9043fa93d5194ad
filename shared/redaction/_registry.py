"""The registered secret values (in all their encodings) and the regexes that find them.

:mod:`shared.redaction` registers every value a :class:`~shared.redaction.Secret` wraps and
asks this registry where such values sit in a text. A regex finds where a form may start,
and the forms that start with what it found are compared there in full. The regex holds
each form's first :data:`KEY` characters only: a form is as long as its value or longer
(an 800-byte token's forms are 40,000 characters together, 4,000 as keys), and compiling
is what costs, about a second per 300,000 characters of pattern.

Compiling one regex over every key is the fast way to match, but slow for thousands of
them, so new keys go into a small regex of their own and regexes of similar size are
merged, as in a binary counter, up to :data:`MAX_LEVEL` keys: a registration costs
amortised O(log n) recompiles and never one of more than ``MAX_LEVEL`` keys, so a process
that registers a new token every hour for weeks does not stall its logging for seconds
while one regex over all of them compiles. Compilation happens lazily, on the first search
after registrations.

The registry holds every registered value in clear, so it keeps them out of reach the way a
``Secret`` does: its attributes cannot be read from outside (``"{0._known}".format(...)``
raises), its repr names nothing, and compiled patterns are dropped from :mod:`re`'s module
cache (``re.purge``), which would otherwise keep their text for any reader of ``re._cache``.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from typing import Any, Final
from urllib.parse import quote, quote_plus

#: Shorter values are not registered: scrubbing them would mangle ordinary text.
MIN_SECRET_LENGTH: Final = 8
#: Runs of this many characters of a value are forms of it (a prefix, a suffix, a cut:
#: :func:`cuts`). Twelve random key characters do not occur in ordinary text (62**12 is
#: about 3e21). One run every WINDOW_STEP characters keeps the forms few (a registry
#: compiles them all), so a cut from the middle is caught from 15 characters on.
WINDOW: Final = 12
WINDOW_STEP: Final = 4
#: How much of each form the regexes hold: enough that a candidate is rarely anything but
#: a registered form (every cut of :data:`WINDOW` characters is a key whole).
KEY: Final = WINDOW + WINDOW_STEP
#: The most keys one regex holds: about 0.3 s to compile on one core (about 30 tokens'
#: forms); past it, regexes are not merged and a search runs one more of them.
MAX_LEVEL: Final = 8192
_Trie = dict[str, "_Trie"]
_get: Final = object.__getattribute__  # the one way in, for this module's own code


class Registry:
    """Registered forms and their regexes; thread-safe. Use :meth:`add` and :meth:`spans`."""

    __slots__ = ("_by_key", "_known", "_levels", "_lock", "_patterns", "_pending")

    def __init__(self) -> None:
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_known", set())
        # Each key (pending or in a regex) and its forms, longest first; a tuple replaced
        # whole, so a search reads it without the lock.
        object.__setattr__(self, "_by_key", {})
        object.__setattr__(self, "_pending", set())
        object.__setattr__(self, "_levels", [])
        object.__setattr__(self, "_patterns", ())

    def __getattribute__(self, name: str) -> Any:
        # Special names only: the registry's state is read by this module's functions, never
        # by attribute access from outside (a format string or a template walking objects).
        if name.startswith("__") and name.endswith("__"):
            return _get(self, name)
        if name in ("add", "spans", "holds", "generation"):
            return _get(self, name)
        raise AttributeError(f"the registry has no readable attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the registry is changed only through add()")

    def __repr__(self) -> str:
        return "<registered secret values>"

    def __len__(self) -> int:
        return len(_get(self, "_known"))

    def add(self, forms: set[str]) -> None:
        """Remember ``forms`` (a value in each of its encodings), in any letter case."""
        with _get(self, "_lock"):
            known: set[str] = _get(self, "_known")
            new = {fold(form) for form in forms} - known
            known |= new
            by_key: dict[str, tuple[str, ...]] = _get(self, "_by_key")
            for form in new:
                key = form[:KEY]
                if key not in by_key:  # a new key: the next search compiles it in
                    _get(self, "_pending").add(key)
                by_key[key] = tuple(sorted((*by_key.get(key, ()), form), key=len, reverse=True))

    def generation(self) -> int:
        """A number that grows with every registration of a new form: a text found clean at
        one generation stays clean until the next. Read under the lock :meth:`add` holds,
        so a generation counted is one whose forms every later search looks for."""
        with _get(self, "_lock"):
            return len(_get(self, "_known"))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where registered forms sit in ``text``, sorted; overlapping matches all reported
        (at each offset, the longest form that starts there)."""
        folded = fold(text)
        by_key: dict[str, tuple[str, ...]] = _get(self, "_by_key")
        ends: dict[int, int] = {}
        for pattern in _patterns(self):
            for match in pattern.finditer(folded):
                start = match.start()
                if start not in ends and (end := _longest(folded, start, by_key)):
                    ends[start] = end
        return sorted(ends.items())

    def holds(self, text: str) -> bool:
        """Whether any registered form occurs in ``text``, in any letter case."""
        folded = fold(text)
        by_key: dict[str, tuple[str, ...]] = _get(self, "_by_key")
        return any(
            _longest(folded, match.start(), by_key)
            for pattern in _patterns(self)
            for match in pattern.finditer(folded)
        )


def fold(text: str) -> str:
    """``text`` in lower case, one character for one, so a match's span is the same in both.

    Letter case is no disguise: forms and texts are compared folded. Folding the text once
    and matching case-sensitively is several times faster than a case-insensitive regex.
    The few characters whose lower case is longer (``İ``) are kept as they are.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def _patterns(registry: Registry) -> tuple[re.Pattern[str], ...]:
    if _get(registry, "_pending"):
        with _get(registry, "_lock"):
            pending: set[str] = _get(registry, "_pending")
            if pending:
                ordered = sorted(pending)
                pending.clear()
                levels: list[tuple[set[str], re.Pattern[str]]] = _get(registry, "_levels")
                for first in range(0, len(ordered), MAX_LEVEL):
                    level = set(ordered[first : first + MAX_LEVEL])
                    while (
                        levels
                        and len(levels[-1][0]) <= 2 * len(level)
                        and len(levels[-1][0]) + len(level) <= MAX_LEVEL
                    ):
                        level = levels.pop()[0] | level
                    # A look-ahead reports a match at every offset, so values that overlap
                    # in the text are all found, not only the leftmost.
                    levels.append((level, re.compile(f"(?=(?:{_trie_pattern(level)}))")))
                re.purge()  # re's cache would keep the pattern's text (the values) readable
                object.__setattr__(registry, "_patterns", tuple(p for _, p in levels))
    patterns: tuple[re.Pattern[str], ...] = _get(registry, "_patterns")
    return patterns


def _longest(folded: str, start: int, by_key: dict[str, tuple[str, ...]]) -> int:
    """The end of the longest registered form at ``start`` of ``folded``, or 0.

    The regex found a key there; every key that is a prefix of the text at ``start`` is
    looked up, longest first, and its forms compared in full. Keys shorter than
    :data:`KEY` are whole forms, shorter than any form of a full key, so the first form
    that matches is the longest."""
    window = folded[start : start + KEY]
    for length in range(len(window), MIN_SECRET_LENGTH - 1, -1):
        for form in by_key.get(window[:length], ()):
            if folded.startswith(form, start):
                return start + len(form)
    return 0


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
    """The forms a value takes in the text it may leak into (matched in any letter case:
    :func:`fold`).

    Raw; base64, standard and URL-safe, padded or not (headers, Basic auth, blobs), and the
    part of it that stays the same when the value sits at any byte offset inside a longer
    base64'd text (:func:`_shifted_base64`); base32; URL-encoded as a path and as a form;
    JSON-escaped; HTML-escaped; hex of its UTF-8 bytes; Python's repr of the text and of its
    bytes (``http.client``'s debug output prints ``repr`` of what it sends); reversed; and
    its :func:`cuts`, so a prefix or a suffix of :data:`WINDOW` characters, or any part of
    15, is a match too. Encodings that multiply a value's length (numeric character
    references, hex of UTF-16) are not forms: ``_decoded`` decodes such runs of
    a text and looks for the forms in what they say.

    Deliberately not: rot13, XOR, a mix of encodings, an encoding of a part, a part shorter
    than that, or any other transformation nobody applies by accident; docs/security.md
    lists them. Against a party that encodes the value on purpose, the partner's answer
    keeps nothing it wrote (:mod:`shared.partner._answer`).
    """
    raw = value.encode("utf-8", "surrogatepass")
    forms = {value, value[::-1], raw.hex(), repr(value)[1:-1], repr(raw)[2:-1]}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    forms |= _shifted_base64(raw)
    base32 = base64.b32encode(raw).decode("ascii")
    forms |= {base32, base32.rstrip("=")}
    for url in (quote(value, safe=""), quote(value), quote_plus(value, safe="")):
        forms |= {url, _lower_hex(url)}
    for escaped in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        forms.add(escaped[1:-1])
    forms.add(value.replace("/", "\\/"))  # JSON encoders that escape the solidus
    forms.add(html.escape(value))
    forms |= cuts(value)
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def cuts(value: str) -> set[str]:
    """Runs of :data:`WINDOW` characters of ``value``: its first and its last, and one every
    :data:`WINDOW_STEP` characters, so any run of ``WINDOW + WINDOW_STEP - 1`` characters
    holds one (a cut from anywhere), and so does any prefix or suffix of ``WINDOW``."""
    if len(value) <= WINDOW:
        return set()
    starts = {*range(0, len(value) - WINDOW + 1, WINDOW_STEP), len(value) - WINDOW}
    return {value[start : start + WINDOW] for start in starts}


def _shifted_base64(raw: bytes) -> set[str]:
    """What of the value's base64 does not depend on its neighbours, at each offset mod 3.

    A value inside a longer text that is base64'd as a whole starts at byte offset 0, 1 or
    2 of a 3-byte group; the groups it shares with its neighbours give characters of
    theirs, the others are its own. Those inner characters, for each offset and in both
    alphabets, are what a search can find.
    """
    inner: set[str] = set()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw + b"\0\0").decode("ascii")
            start = 4 if shift else 0  # the group shared with what comes before
            stop = (shift + len(raw)) // 3 * 4  # groups made of the value alone
            inner.add(text[start:stop])
    return inner


def pattern_count(registry: Registry) -> int:
    """How many regexes a search runs (for tests of the merging)."""
    return len(_patterns(registry))


def level_sizes(registry: Registry) -> list[int]:
    """How many keys each regex holds (for tests of the cap on what one compile costs)."""
    _patterns(registry)
    return [len(level) for level, _ in _get(registry, "_levels")]
