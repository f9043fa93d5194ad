"""Keeping secrets out of every output: reprs, exception messages, JSON and logs.

Three layers, each useful alone and stronger together:

1. :class:`Secret` wraps a value so that every ordinary way of turning it into text
   (repr, str, format specs, %-formatting, logging arguments, exception messages,
   container reprs) yields a mask. Pickling, copying and JSON are refused, so the
   value cannot leave the process by accident. :meth:`Secret.reveal` is the one
   deliberate way out, easy to grep for.
2. :func:`register` and :func:`scrub`: a value fetched at run time (the partner key
   from Key Vault) is remembered with its common encodings (in any letter case; runs of
   character references and long hex are decoded to be looked into), and :func:`scrub`
   removes it, and anything shaped like a secret (:mod:`shared.secretshapes`), from any
   text. This catches the value after it has left its :class:`Secret`: in a request
   echoed back by a server, in a URL, in a traceback.
3. :class:`RedactingFilter` and :func:`install_log_redaction`: every log record is
   scrubbed before any handler writes it. :mod:`shared.redactedoutput` does the same
   for what reaches stdout and stderr without logging (``print``, warnings, tracebacks
   of threads, ``http.client``'s debug output).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import types
from collections.abc import Callable
from typing import Any, Final, NoReturn, TypeVar, final

from shared.decodedruns import decoded_runs, redact_decoded
from shared.registry import MIN_SECRET_LENGTH, Registry, encodings
from shared.secretshapes import SECRET_KINDS, scan

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
    any known shape.
    """
    spans = _REGISTRY.spans(text)
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
    text = redact_decoded(text, holds=_REGISTRY.holds, mask=REDACTED)
    return _redact_findings(text)


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


# Attributes every LogRecord has; anything else was passed with ``extra=``.
_RECORD_ATTRS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_WITHHELD: Final = "[log record withheld: it could not be redacted]"
_EXC_FORMATTER: Final = logging.Formatter()


_DONE: Final = "_shared_redacted"  # set on a record once redacted: later handlers skip the work
_PLAIN: Final = (bool, int, float)


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, arguments, exception, stack and ``extra`` values.

    The message is formatted first and then scrubbed (``args`` becomes ``None``),
    because a secret may only appear once arguments are interpolated. The exception
    is rendered to ``exc_text`` and scrubbed, and ``exc_info`` is cleared so that no
    handler renders the raw traceback again. An ``extra`` value that is not a plain
    number (a dict, bytes, an exception, any object whose ``str`` may hold a value)
    becomes its scrubbed text: a formatter's ``%(name)s`` or a JSON handler would
    otherwise write it as it is. The filter never raises and never drops a record: if
    redaction fails the record carries a fixed message instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if vars(record).get(_DONE) is True:
            return True
        try:
            self._redact(record)
        except Exception:
            self._withhold(record)
        vars(record)[_DONE] = True
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
            if key in _RECORD_ATTRS or key == _DONE or value is None:
                continue
            if isinstance(value, str):
                setattr(record, key, scrub(value))
            elif type(value) not in _PLAIN or scrub(str(value)) != str(value):
                setattr(record, key, scrub(str(value)))

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
            if key not in _RECORD_ATTRS and key != _DONE:
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


class _RedactingHandle:
    """Stands in for ``logging.Handler.handle``: a record is redacted before any handler,
    wherever it is attached, filters or writes it."""

    def __init__(self, original: Callable[[logging.Handler, logging.LogRecord], Any]) -> None:
        self.original = original

    def __get__(self, handler: logging.Handler | None, owner: type | None = None) -> Any:
        return self if handler is None else types.MethodType(self, handler)

    def __call__(self, handler: logging.Handler, record: logging.LogRecord) -> Any:
        _FILTER.filter(record)
        return self.original(handler, record)


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
    * Every other handler, on any logger (``urllib3.connectionpool``, ``uvicorn.error``,
      ``py.warnings``, a logger with ``propagate = False``), created before or after:
      ``logging.Handler.handle`` itself redacts first. It is the one method through which
      the standard library hands a record to any handler (``Logger.callHandlers``,
      ``QueueListener``, ``lastResort``); only ``NullHandler`` overrides it, and it writes
      nothing. A third-party handler that overrides ``handle`` without calling it is the
      one way around, and none of the app's dependencies has one.
    * A log-record factory was not used: it runs before ``extra`` attributes are set
      and is one global slot that other libraries (OpenTelemetry) replace.
    """
    with _INSTALL_LOCK:
        if not isinstance(vars(logging.Handler)["handle"], _RedactingHandle):
            logging.Handler.handle = _RedactingHandle(logging.Handler.handle)  # type: ignore[method-assign,assignment]
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
        guard = vars(logging.Handler)["handle"]
        if isinstance(guard, _RedactingHandle):
            logging.Handler.handle = guard.original  # type: ignore[method-assign,assignment]
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
