"""Every log record the process writes, scrubbed before any handler sees it.

:func:`install_log_redaction` puts :class:`RedactingFilter` where records are written (the
handlers of the root logger and of the SDKs' loggers, and ``logging.Handler.handle``
itself), so a value :func:`~shared.redaction.scrub` knows never reaches a log. Why each
place is needed is said in its docstring.
"""

from __future__ import annotations

import logging
import threading
import types
from collections.abc import Callable
from typing import Any, Final, TypeVar

from shared.redaction._secret import scrub

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
