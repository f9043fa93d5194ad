"""Keeping secrets out of every output: reprs, exception messages, JSON and logs.

Three layers, each useful alone and stronger together:

1. :class:`Secret` wraps a value so that every ordinary way of turning it into text
   (repr, str, format specs, %-formatting, logging arguments, exception messages,
   container reprs) yields a mask. Pickling, copying and JSON are refused, so the
   value cannot leave the process by accident. :meth:`Secret.reveal` is the one
   deliberate way out, easy to grep for.
2. :func:`register` and :func:`scrub`: a value fetched at run time (the partner key
   from Key Vault) is remembered with its common encodings (in any letter case; runs of
   character references and long hex are decoded to be looked into), and :func:`scrub` removes
   it, and anything shaped like a secret (:mod:`shared.redaction.shapes`), from any
   text. This catches the value after it has left its :class:`Secret`: in a request
   echoed back by a server, in a URL, in a traceback.
3. :class:`RedactingFilter` and :func:`install_log_redaction`: every log record is
   scrubbed before any handler writes it. ``install_output_redaction`` does the same
   for what reaches stdout and stderr without logging (``print``, warnings, tracebacks
   of threads, ``http.client``'s debug output), and ``install_descriptor_redaction`` for
   what reaches file descriptors 1 and 2 below them (``os.write``, C code, children).
"""

from shared.redaction._fds import (
    descriptor_redaction_installed,
    install_descriptor_redaction,
    uninstall_descriptor_redaction,
)
from shared.redaction._logs import (
    LOGGER_NAMES,
    RedactingFilter,
    install_log_redaction,
    redacting_handler,
    uninstall_log_redaction,
)
from shared.redaction._output import (
    RedactingStream,
    install_output_redaction,
    uninstall_output_redaction,
)
from shared.redaction._registry import MIN_SECRET_LENGTH, encodings
from shared.redaction._repeats import CleanTexts
from shared.redaction._secret import REDACTED, Secret, holds_secret, register, scrub

__all__ = [
    "LOGGER_NAMES",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "CleanTexts",
    "RedactingFilter",
    "RedactingStream",
    "Secret",
    "descriptor_redaction_installed",
    "encodings",
    "holds_secret",
    "install_descriptor_redaction",
    "install_log_redaction",
    "install_output_redaction",
    "redacting_handler",
    "register",
    "scrub",
    "uninstall_descriptor_redaction",
    "uninstall_log_redaction",
    "uninstall_output_redaction",
]
