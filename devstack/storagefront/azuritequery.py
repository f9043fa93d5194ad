"""A request's query string read the way Azurite reads it, so the front judges what Azurite sees.

Azurite 3.35.0 reads every SAS parameter with ``req.query[name]``
(``dist/src/blob/generated/ExpressRequestAdapter.js``, ``getQuery``; the queue and table
adapters are the same), then ``decodeURIComponent`` once more
(``BlobSASAuthenticator.js`` and ``AccountSASAuthenticator.js``, ``decodeIfExist``). Express
4.22 fills ``req.query`` with ``qs.parse(str, {allowPrototypes: true, arrayLimit: 1000})``
(``express/lib/utils.js``, ``parseExtendedQueryString``: the default "extended" parser), and qs
6.16 (``qs/lib/parse.js``, ``parseValues`` and ``splitKeyIntoSegments``; ``qs/lib/utils.js``,
``decode``) reads a query so:

* ``%5B`` and ``%5D`` (any case) become ``[`` and ``]`` in the whole string first;
* it is split on ``&``, and only the first 1,000 parts are read (``parameterLimit``);
* each part splits at its first ``]=`` (after the ``]``) or else its first ``=``; a part
  without ``=`` is a name with the value ``""``;
* name and value are decoded: ``+`` becomes a space, then ``decodeURIComponent``, and a
  malformed escape leaves the text as it was;
* a name is a top-level name up to its first ``[``; what follows in brackets makes the value
  an array (``sig[]``, ``sig[0]``) or an object (``sig[x]``); a name that *starts* with a
  bracket group takes the group's content as its top-level name (``[sig]=x`` is ``sig``);
* a name given twice collects its values into an array.

So ``%73ig``, ``s%69g``, ``sig[]``, ``sig%5B%5D`` and ``[sig]`` are all ``sig`` to Azurite, and
a check that looks for the literal text ``sig=`` misses them. :func:`parameters` returns what
qs would: each top-level name with its values, ``None`` standing for a value that is not one
plain string (an array or an object), which the front never accepts where it matters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = ["MAX_PARAMETERS", "js_decode_uri_component", "parameters", "single"]

MAX_PARAMETERS: Final = 1000  # qs parameterLimit: later parts are not read at all
_BRACKET_OPEN: Final = re.compile("%5B", re.IGNORECASE)
_BRACKET_CLOSE: Final = re.compile("%5D", re.IGNORECASE)
_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def js_decode_uri_component(text: str) -> str | None:
    """JavaScript's ``decodeURIComponent``: None where it would throw (a malformed escape,
    escapes that are not UTF-8). ``+`` stays a ``+``."""
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        return None
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _qs_decode(text: str) -> str:
    spaced = text.replace("+", " ")
    decoded = js_decode_uri_component(spaced)
    return spaced if decoded is None else decoded


def _top_level(key: str) -> tuple[str, bool]:
    """(top-level name, whether the value nests under it) for one decoded key."""
    first = key.find("[")
    if first > 0:
        return key[:first], True
    if first < 0:
        return key, False
    depth, close = 0, -1
    for index, char in enumerate(key):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "]" and depth == 0:
            close = index
            break
    if close < 0:  # unterminated: qs keeps the whole key as one literal segment
        return key, False
    nested = key.find("[", close + 1) >= 0
    return key[1:close], nested


def parameters(query: str) -> dict[str, list[str | None]]:
    """Every top-level name qs finds in ``query`` (the part after ``?``), with its values:
    a plain string each, or ``None`` where the value is an array or an object."""
    found: dict[str, list[str | None]] = defaultdict(list)
    cleaned = _BRACKET_CLOSE.sub("]", _BRACKET_OPEN.sub("[", query))
    for part in cleaned.split("&")[:MAX_PARAMETERS]:
        bracket_equals = part.find("]=")
        pos = part.find("=") if bracket_equals < 0 else bracket_equals + 1
        raw_key, raw_value = (part, "") if pos < 0 else (part[:pos], part[pos + 1 :])
        key = _qs_decode(raw_key)
        if not key:
            continue  # qs skips an empty name
        name, nested = _top_level(key)
        found[name].append(None if nested else _qs_decode(raw_value))
    return dict(found)


def single(params: dict[str, list[str | None]], name: str) -> str | None:
    """The value Azurite's SAS check reads for ``name`` (``decodeIfExist`` included), or None
    when there is not exactly one plain value, or it would not decode."""
    values = params.get(name, [])
    if len(values) != 1 or values[0] is None:
        return None
    return js_decode_uri_component(values[0])
