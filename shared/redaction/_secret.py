"""A secret value that masks itself, and the scrubbing of every value the process registered.

:class:`Secret` wraps a value so that every ordinary way of turning it into text (repr,
str, format specs, %-formatting, logging arguments, exception messages, container reprs)
yields a mask; pickling, copying and JSON are refused; :meth:`Secret.reveal` is the one
deliberate way out. Wrapping registers the value (:func:`register`) and :func:`scrub`
removes it, in every encoding :mod:`shared.redaction._registry` derives, and anything
shaped like a secret (:mod:`shared.redaction.shapes`) from any text.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, Final, NoReturn, final

from shared.redaction._decoded import decoded_runs, redact_decoded
from shared.redaction._registry import MIN_SECRET_LENGTH, Registry, encodings
from shared.redaction.shapes import SECRET_KINDS, scan

REDACTED: Final = "[REDACTED]"
_HASH_KEY: Final = secrets.token_bytes(32)  # per process: hashes cannot be precomputed


_REGISTRY: Final = Registry()


def register(value: str) -> None:
    """Remember ``value`` process-wide so :func:`scrub` removes it in every encoding.

    Values shorter than :data:`MIN_SECRET_LENGTH` are refused: scrubbing a short
    value would mangle ordinary text and give a false sense of safety.
    """
    if not isinstance(value, str):
        raise TypeError("register() takes a str")
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"refusing to register a value shorter than {MIN_SECRET_LENGTH} characters:"
            " scrubbing it would mangle ordinary text"
        )
    _REGISTRY.add(encodings(value))


def scrub(text: str) -> str:
    """``text`` without registered values (``[REDACTED]``) or secret-shaped values.

    Secret-shaped values become ``[REDACTED:<kind>]`` so a reader still knows what
    was there. Registered values go first: they are exact and may not look like
    any known shape. A registered form inside a secret-shaped value takes the whole
    value with it: tokens share runs (every RS256 token of one issuer starts alike), and
    masking only the shared run would leave the rest of another token unshaped, in clear.
    """
    spans = _REGISTRY.spans(text)
    if spans:  # one pass over the union of matches: overlapping values leave no tail
        parts: list[str] = []
        pos = 0
        for start, end, mask in _widened(text, spans):
            if end <= pos:
                continue
            if start >= pos:
                parts += (text[pos:start], mask)
            pos = end
        text = "".join([*parts, text[pos:]])
    text = redact_decoded(text, holds=_REGISTRY.holds, mask=REDACTED)
    return _redact_findings(text)


def _widened(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The registered spans, and each secret-shaped value one of them cuts into, whole: with
    its kind when the registered runs lie inside it, else as a registered value."""
    regions = [(start, end, REDACTED) for start, end in spans]
    for finding in scan(text):
        if finding.kind not in SECRET_KINDS:
            continue
        touching = [(s, e) for s, e in spans if s < finding.end and finding.start < e]
        if touching and not any(s <= finding.start and finding.end <= e for s, e in touching):
            inside = all(finding.start <= s and e <= finding.end for s, e in touching)
            label = f"[REDACTED:{finding.kind}]" if inside else REDACTED
            regions.append((finding.start, finding.end, label))
    regions.sort(key=lambda region: (region[0], -region[1]))
    return regions


def holds_secret(text: str) -> bool:
    """Whether ``text`` holds a registered value in any of its :func:`encodings`.

    Used to refuse what a third party sends back (its answer, its headers) rather than
    scrub it: an answer that echoes the key is not one to keep.
    """
    return _REGISTRY.holds(text) or any(_REGISTRY.holds(said) for *_, said in decoded_runs(text))


def _redact_findings(text: str) -> str:
    findings = [f for f in scan(text) if f.kind in SECRET_KINDS]
    if not findings:
        return text
    parts: list[str] = []
    pos = 0
    for finding in findings:
        parts += (text[pos : finding.start], f"[REDACTED:{finding.kind}]")
        pos = finding.end
    parts.append(text[pos:])
    return "".join(parts)


@final
class Secret:
    """A secret value that masks itself everywhere except :meth:`reveal`.

    Not a ``str`` subclass on purpose: a ``str`` would leak through ``+``, slicing,
    ``str.join`` and every API that accepts text. Construction registers the value
    with :func:`scrub` (values under :data:`MIN_SECRET_LENGTH` are masked but not
    registered).

    The value is out of reach of attribute access: only ``name``, ``reveal`` and
    special (``__dunder__``) names can be read, so ``secret._value`` and a format
    template such as ``"{0._value}"`` raise ``AttributeError``. This module reads the
    slots through their descriptors (:data:`_VALUE`, :data:`_NAME`).
    """

    __slots__ = ("_name", "_value")

    def __init__(self, value: str, *, name: str = "secret") -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        _VALUE.__set__(self, value)
        _NAME.__set__(self, str(name))
        if len(value) >= MIN_SECRET_LENGTH:
            register(value)

    def __getattribute__(self, name: str) -> Any:
        if name in _PUBLIC or (name.startswith("__") and name.endswith("__")):
            return object.__getattribute__(self, name)
        raise AttributeError(f"Secret has no readable attribute {name!r}")

    @property
    def name(self) -> str:
        name: str = _NAME.__get__(self)
        return name

    def reveal(self) -> str:
        """The value itself: call it only where the value is sent to its one consumer."""
        return _value_of(self)

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, ****)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)  # whatever the spec: no spec may reach the value

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied")

    def __copy__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied")

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        mine = _value_of(self).encode("utf-8", "surrogatepass")
        return hmac.compare_digest(mine, _value_of(other).encode("utf-8", "surrogatepass"))

    def __hash__(self) -> int:
        raw = _value_of(self).encode("utf-8", "surrogatepass")
        return hash(hmac.digest(_HASH_KEY, raw, "sha256"))

    def __bool__(self) -> bool:
        return bool(_value_of(self))


_PUBLIC: Final = frozenset({"name", "reveal"})
#: The slots' descriptors: class-level attributes, so reading them needs no instance access.
_VALUE: Final = vars(Secret)["_value"]
_NAME: Final = vars(Secret)["_name"]


def _value_of(secret: Secret) -> str:
    value: str = _VALUE.__get__(secret)
    return value
