"""Bytes that reach file descriptors 1 and 2 without Python's text streams, scrubbed there.

``install_output_redaction`` (``_output``) scrubs what goes through ``sys.stdout`` and
``sys.stderr``, but bytes can reach the descriptors beneath them:
``sys.stdout.buffer.write``, ``os.write(1, ...)``, a C extension's ``printf``, a child
process that inherits them. So the descriptors themselves are replaced: each of 1 and 2
becomes the write end of a pipe, and a thread of this process reads the pipe, scrubs each
line (:func:`shared.redaction.scrub`, the values registered in this process) and writes it
to the original descriptor, kept under another number. A line is held until its end, so a
value written in pieces (two ``os.write`` calls, a ``flush()`` between them) is seen whole;
a line longer than :data:`MAX_PENDING` is written in pieces.

How it fails, and what is done about each:

* **Deadlock.** The pump never writes to 1 or 2 itself (it writes to the saved descriptors,
  and never logs), so it cannot block on its own pipe. A writer blocks on a full pipe only
  while the pump is behind, and Python's writes release the GIL while they block, so the
  pump runs. A C extension that writes more than the pipe holds *while holding the GIL*
  would wait for a pump that cannot run: the pipe is grown to :data:`PIPE_BYTES` (1 MiB,
  ``F_SETPIPE_SZ``) to make that need a megabyte in one go.
* **The tail at exit.** At interpreter exit (``atexit``: after the handlers registered
  later, which run first) the streams are flushed, the original descriptors are put back
  (which closes the pipes' write ends), and each pump drains its pipe to the end and
  stops, joined for at most :data:`DRAIN_SECONDS`. Output written after that goes to the
  original descriptors: through ``sys.stdout``/``sys.stderr`` still scrubbed, raw bytes not.
* **A crash.** A process killed (``SIGKILL``) or ended with ``os._exit`` takes its pump with
  it: the last bytes still in the pipe are lost, never written unscrubbed. ``faulthandler``
  (a fatal signal's traceback: names of files and functions, no values) is pointed at the
  original stderr when it is enabled, so a crash's traceback is not among them.
* **fork.** A forked child has no pump thread. It gets its original descriptors back at once
  (``os.register_at_fork``): its output is neither lost nor held up, and it keeps the stream
  layer's scrubbing (with its own registered values); its raw descriptor writes are not
  scrubbed. A child started by ``subprocess`` (fork and exec, no fork hooks) inherits the
  pipes, and this process scrubs its output with the values registered here.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import os
import sys
import threading
from typing import Final, NamedTuple

from shared.redaction._secret import scrub

__all__ = [
    "DRAIN_SECONDS",
    "MAX_PENDING",
    "PIPE_BYTES",
    "descriptor_redaction_installed",
    "install_descriptor_redaction",
    "uninstall_descriptor_redaction",
]

DESCRIPTORS: Final = (1, 2)
MAX_PENDING: Final = 64 * 1024
PIPE_BYTES: Final = 1024 * 1024
DRAIN_SECONDS: Final = 5.0
WITHHELD: Final = b"[output withheld: it could not be redacted]\n"
_F_SETPIPE_SZ: Final = 1031  # Linux, fcntl(2)
_READ_BYTES: Final = 64 * 1024
_LOCK: Final = threading.Lock()


class _Channel(NamedTuple):
    descriptor: int  # 1 or 2, now the pipe's write end
    saved: int  # the original, under another number
    read: int  # the pipe's read end, the pump's
    pump: threading.Thread


class _State(NamedTuple):
    pid: int
    channels: list[_Channel]


_state: _State | None = None
_hooks_registered = False


def install_descriptor_redaction() -> None:
    """Put a scrubbing pipe in front of file descriptors 1 and 2. Idempotent per process."""
    global _state, _hooks_registered
    with _LOCK:
        if _state is not None and _state.pid == os.getpid():
            return
        _flush_streams()
        channels = [c for fd in DESCRIPTORS if (c := _channel(fd)) is not None]
        _state = _State(os.getpid(), channels)
        stderr = next((c.saved for c in channels if c.descriptor == 2), None)
        if stderr is not None and faulthandler.is_enabled():
            faulthandler.enable(file=stderr, all_threads=True)
        if not _hooks_registered:
            atexit.register(uninstall_descriptor_redaction)
            os.register_at_fork(after_in_child=_forget_in_child)
            _hooks_registered = True


def descriptor_redaction_installed() -> bool:
    return _state is not None and _state.pid == os.getpid()


def uninstall_descriptor_redaction() -> None:
    """Flush, put the original descriptors back and let each pump drain its pipe (at exit,
    and for tests). Bounded: a child still holding a pipe does not keep the process up."""
    global _state
    with _LOCK:
        state, _state = _state, None
        if state is None or state.pid != os.getpid():
            return
        _flush_streams()
        for channel in state.channels:
            os.dup2(channel.saved, channel.descriptor)  # closes the pipe's write end here
        for channel in state.channels:
            channel.pump.join(DRAIN_SECONDS)
            if not channel.pump.is_alive():
                os.close(channel.saved)
        if faulthandler.is_enabled():
            faulthandler.enable(file=sys.__stderr__ or 2, all_threads=True)


def _channel(descriptor: int) -> _Channel | None:
    try:
        os.fstat(descriptor)
    except OSError:
        return None  # no such descriptor (a daemon): nothing can be written there
    saved = os.dup(descriptor)
    read, write = os.pipe()
    with contextlib.suppress(OSError, AttributeError):
        import fcntl

        fcntl.fcntl(write, _F_SETPIPE_SZ, PIPE_BYTES)
    os.dup2(write, descriptor)
    os.close(write)
    pump = threading.Thread(
        target=_pump, args=(read, saved), name=f"redacted-fd-{descriptor}", daemon=True
    )
    pump.start()
    return _Channel(descriptor, saved, read, pump)


def _pump(read: int, out: int) -> None:
    """Read the pipe to its end; write each complete line scrubbed. Never raises, never
    writes to 1 or 2, never logs (either could come back into a pipe it must empty)."""
    pending = b""
    try:
        while chunk := _read(read):
            pending += chunk
            cut = pending.rfind(b"\n") + 1
            if cut == 0 and len(pending) > MAX_PENDING:
                cut = len(pending)
            if cut:
                _write_all(out, _scrubbed(pending[:cut]))
                pending = pending[cut:]
        if pending:
            _write_all(out, _scrubbed(pending))
    finally:
        with contextlib.suppress(OSError):
            os.close(read)


def _read(read: int) -> bytes:
    try:
        return os.read(read, _READ_BYTES)
    except OSError:
        return b""


def _scrubbed(data: bytes) -> bytes:
    try:
        text = data.decode("utf-8", "surrogateescape")
        return scrub(text).encode("utf-8", "surrogateescape")
    except Exception:  # whatever failed, the bytes are not written unscrubbed
        return WITHHELD


def _write_all(out: int, data: bytes) -> None:
    """Write everything, or drop it when the original descriptor is gone (its reader left)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(out, view) :]
        except InterruptedError:
            continue
        except OSError:
            return


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()


def _forget_in_child() -> None:
    """In a forked child: the original descriptors back, the parent's pipe ends closed."""
    global _state
    state, _state = _state, None
    if state is None:
        return
    for channel in state.channels:
        with contextlib.suppress(OSError):
            os.dup2(channel.saved, channel.descriptor)
            os.close(channel.saved)
            os.close(channel.read)
