"""Keeping secrets out of every output: reprs, exception messages, JSON and logs.

Three layers, each useful alone and stronger together:

1. :class:`Secret` wraps a value so that every ordinary way of turning it into text
   (repr, str, format specs, %-formatting, logging arguments, exception messages,
   container reprs) yields a mask. Pickling, copying and JSON are refused, so the
   value cannot leave the process by accident. :meth:`Secret.reveal` is the one
   deliberate way out, easy to grep for.
2. :func:`register` and :func:`scrub`: a value fetched at run time (the partner key
   from Key Vault) is remembered with its common encodings, and :func:`scrub` removes
   it, and anything shaped like a secret (:mod:`shared.secretshapes`), from any
   text. This catches the value after it has left its :class:`Secret`: in a request
   echoed back by a server, in a URL, in a traceback.
3. :class:`RedactingFilter` and :func:`install_log_redaction`: every log record is
   scrubbed before a handler writes it.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable
from typing import Any, Final, NoReturn, TypeVar, final
from urllib.parse import quote, quote_plus

from shared.secretshapes import SECRET_KINDS, scan

MIN_SECRET_LENGTH: Final = 8
REDACTED: Final = "[REDACTED]"
_HASH_KEY: Final = secrets.token_bytes(32)  # per process: hashes cannot be precomputed


class _Registry:
    """Registered values, matched by a few combined regexes.

    Compiling one regex over every form is the fast way to match, but compiling
    is slow for thousands of forms, so new forms go into a small regex of their
    own and regexes of similar size are merged, as in a binary counter: a
    registration costs amortised O(log n) recompiles and :func:`scrub` runs
    O(log n) regexes. Compilation happens lazily, on the first scrub after
    registrations.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._pending: set[str] = set()
        self._levels: list[tuple[set[str], re.Pattern[str]]] = []
        self._patterns: tuple[re.Pattern[str], ...] = ()

    def add(self, forms: set[str]) -> None:
        with self._lock:
            new = forms - self._known
            self._known |= new
            self._pending |= new

    def patterns(self) -> tuple[re.Pattern[str], ...]:
        if self._pending:
            with self._lock:
                if self._pending:
                    level, self._pending = self._pending, set()
                    while self._levels and len(self._levels[-1][0]) <= 2 * len(level):
                        level = self._levels.pop()[0] | level
                    # A look-ahead reports a match at every offset, so values that
                    # overlap in the text are all found, not only the leftmost.
                    regex = re.compile(f"(?=({_trie_pattern(level)}))")
                    self._levels.append((level, regex))
                    self._patterns = tuple(pattern for _, pattern in self._levels)
        return self._patterns


_REGISTRY: Final = _Registry()
_Trie = dict[str, "_Trie"]


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
    URL-encoded as a path and as a form (upper and lower-case hex); JSON-escaped.
    """
    raw = value.encode("utf-8", "surrogatepass")
    forms = {value}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    for url in (quote(value, safe=""), quote(value), quote_plus(value, safe="")):
        forms |= {url, _lower_hex(url)}
    for escaped in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        forms.add(escaped[1:-1])
    forms.add(value.replace("/", "\\/"))  # JSON encoders that escape the solidus
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


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
    any known shape.
    """
    spans = sorted(m.span(1) for p in _REGISTRY.patterns() for m in p.finditer(text))
    if spans:  # one pass over the union of matches: overlapping values leave no tail
        parts: list[str] = []
        pos = 0
        for start, end in spans:
            if end <= pos:
                continue
            if start >= pos:
                parts += (text[pos:start], REDACTED)
            pos = end
        text = "".join([*parts, text[pos:]])
    return _redact_findings(text)


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
    """

    __slots__ = ("_name", "_value")
    _name: str
    _value: str

    def __init__(self, value: str, *, name: str = "secret") -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_name", str(name))
        if len(value) >= MIN_SECRET_LENGTH:
            register(value)

    @property
    def name(self) -> str:
        return self._name

    def reveal(self) -> str:
        """The value itself: call it only where the value is sent to its one consumer."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self._name!r}, ****)"

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
        mine = self._value.encode("utf-8", "surrogatepass")
        return hmac.compare_digest(mine, other._value.encode("utf-8", "surrogatepass"))

    def __hash__(self) -> int:
        raw = self._value.encode("utf-8", "surrogatepass")
        return hash(hmac.digest(_HASH_KEY, raw, "sha256"))

    def __bool__(self) -> bool:
        return bool(self._value)


# Attributes every LogRecord has; anything else was passed with ``extra=``.
_RECORD_ATTRS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_WITHHELD: Final = "[log record withheld: it could not be redacted]"
_EXC_FORMATTER: Final = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, arguments, exception, stack and ``extra`` strings.

    The message is formatted first and then scrubbed (``args`` becomes ``None``),
    because a secret may only appear once arguments are interpolated. The exception
    is rendered to ``exc_text`` and scrubbed, and ``exc_info`` is cleared so that no
    handler renders the raw traceback again. The filter never raises and never drops
    a record: if redaction fails the record carries a fixed message instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._redact(record)
        except Exception:
            self._withhold(record)
        return True

    @staticmethod
    def _redact(record: logging.LogRecord) -> None:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            if record.exc_info[0] is not None and not record.exc_text:
                record.exc_text = _EXC_FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS and isinstance(value, str):
                setattr(record, key, scrub(value))

    @staticmethod
    def _withhold(record: logging.LogRecord) -> None:
        try:
            template: str | None = scrub(str(record.msg))
        except Exception:
            template = None
        record.msg = _WITHHELD if template is None else f"{_WITHHELD} template: {template}"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        for key in list(vars(record)):
            if key not in _RECORD_ATTRS:
                setattr(record, key, None)


_FILTER: Final = RedactingFilter()
_INSTALL_LOCK: Final = threading.Lock()
LOGGER_NAMES: Final = (
    "",  # the root logger
    "azure",
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
    "urllib3",
    "requests",
)
_H = TypeVar("_H", bound=logging.Handler)


def redacting_handler(handler: _H) -> _H:
    """``handler`` with the redacting filter attached; for handlers set up outside root."""
    handler.addFilter(_FILTER)
    return handler


class _RedactingAddHandler:
    """Stands in for a logger's ``addHandler``: every handler added gets the filter."""

    def __init__(self, add_handler: Callable[[logging.Handler], None]) -> None:
        self._add_handler = add_handler

    def __call__(self, hdlr: logging.Handler) -> None:
        self._add_handler(redacting_handler(hdlr))


def _redact_new_handlers(logger: logging.Logger) -> None:
    if not isinstance(vars(logger).get("addHandler"), _RedactingAddHandler):
        logger.addHandler = _RedactingAddHandler(logger.addHandler)  # type: ignore[method-assign]


def install_log_redaction() -> None:
    """Scrub every log record the process writes. Idempotent.

    Why the filter sits where it does:

    * A filter on a *logger* runs only for records logged on that very logger, not
      for records propagated from its children (``azure.storage.blob`` reaching the
      root handlers), so the filter goes on the *handlers* of the root logger and of
      the ``azure``/``urllib3``/``requests`` loggers, where records are written.
    * Handlers added to those loggers later get it too: their ``addHandler`` is
      wrapped, and ``basicConfig``, ``dictConfig`` and the Functions host's handler
      all go through ``addHandler``. ``logging.lastResort`` (used when no handler is
      configured at all) gets it as well.
    * The loggers keep a filter of their own, so records logged on them are already
      clean when they reach a handler somebody attached elsewhere.
    * A log-record factory was not used: it runs before ``extra`` attributes are set
      and is one global slot that other libraries (OpenTelemetry) replace.

    A handler attached later to any other logger should be passed through
    :func:`redacting_handler`.
    """
    with _INSTALL_LOCK:
        for name in LOGGER_NAMES:
            logger = logging.getLogger(name)
            logger.addFilter(_FILTER)
            for handler in logger.handlers:
                handler.addFilter(_FILTER)
            _redact_new_handlers(logger)
        if logging.lastResort is not None:
            logging.lastResort.addFilter(_FILTER)


def uninstall_log_redaction() -> None:
    """Undo :func:`install_log_redaction` everywhere (tests and hot reload)."""
    with _INSTALL_LOCK:
        loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for logger in loggers:
            if isinstance(logger, logging.Logger):
                if isinstance(vars(logger).get("addHandler"), _RedactingAddHandler):
                    del vars(logger)["addHandler"]
                logger.removeFilter(_FILTER)
                for handler in logger.handlers:
                    handler.removeFilter(_FILTER)
        if logging.lastResort is not None:
            logging.lastResort.removeFilter(_FILTER)
