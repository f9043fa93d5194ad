"""What reaches stdout and stderr without going through logging, scrubbed like a log record.

The Functions host copies a worker's stdout and stderr into its own log, and the devstack
host writes them to its log file, so text printed there is as public as a log line. Several
standard paths write there directly, each documented in the Python docs:

* ``print()`` writes to ``sys.stdout``;
* ``warnings.showwarning`` writes to ``sys.stderr`` (unless ``logging.captureWarnings`` routes
  warnings to the ``py.warnings`` logger, which the log redaction covers);
* ``threading.excepthook``, ``sys.excepthook`` and ``sys.unraisablehook`` print tracebacks,
  with the exception's message, to ``sys.stderr``;
* ``http.client`` with ``HTTPConnection.debuglevel > 0`` prints every header it sends
  (``send: b'...X-Api-Key: ...'``) with ``print()``.

All of them look ``sys.stdout``/``sys.stderr`` up when they write, so replacing the two with a
:class:`RedactingStream` covers them all. The stream keeps a line until its end (or a flush)
and writes it scrubbed, so a value printed in pieces (``print`` writes each argument apart)
is still seen whole.

What goes below these streams (``sys.stdout.buffer``, ``os.write(1, ...)``, C extensions,
child processes) and a value split by an explicit ``flush()`` in the middle of a line are
scrubbed one level down, at the file descriptors (``_fds``), which hold a
line until its end whatever wrote it.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Final, TextIO

from shared.redaction._secret import scrub

__all__ = ["RedactingStream", "install_output_redaction", "uninstall_output_redaction"]

#: A line longer than this is written (scrubbed) in pieces rather than held in memory.
MAX_PENDING: Final = 64 * 1024
_STREAMS: Final = ("stdout", "stderr")
_INSTALL_LOCK: Final = threading.Lock()


class RedactingStream:
    """A text stream that writes whole lines, scrubbed, to ``target``.

    Everything but writing (``fileno``, ``isatty``, ``encoding``, ``buffer``...) is the
    target's, so code that inspects the stream sees the real one. Not an ``io.TextIOBase``
    subclass on purpose: its defaults (``encoding`` None, ``isatty`` False) would hide them.
    """

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            pending = self._pending + text
            cut = pending.rfind("\n") + 1
            if cut == 0 and len(pending) > MAX_PENDING:
                cut = len(pending)
            self._pending = pending[cut:]
            if cut:
                self.target.write(scrub(pending[:cut]))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.target.write(scrub(self._pending))
                self._pending = ""
            self.target.flush()

    def close(self) -> None:
        self.flush()  # the target belongs to whoever made it: it stays open

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


def install_output_redaction() -> None:
    """Put a :class:`RedactingStream` in front of ``sys.stdout`` and ``sys.stderr``. Idempotent."""
    with _INSTALL_LOCK:
        for name in _STREAMS:
            stream = getattr(sys, name)
            if stream is not None and not isinstance(stream, RedactingStream):
                setattr(sys, name, RedactingStream(stream))


def uninstall_output_redaction() -> None:
    """Flush and put the original streams back (tests)."""
    with _INSTALL_LOCK:
        for name in _STREAMS:
            stream = getattr(sys, name)
            if isinstance(stream, RedactingStream):
                stream.flush()
                setattr(sys, name, stream.target)
