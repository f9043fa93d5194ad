"""What reaches file descriptors 1 and 2 below Python's streams is scrubbed there, and the
pipe that does it neither deadlocks, nor loses the tail at exit, nor breaks a fork.

Each row runs in a fresh interpreter whose real descriptors are captured by the test: with
the app's redaction installed (as ``shared.startup.start`` installs it) the value, in the
form the row writes, is in none of the output; without it, the same code writes it (the
positive control of each row). The failure modes of shared/redaction/_fds.py are rows too:
8 MiB written at once while other threads print, output written just before exit, an
uncaught exception, a fatal signal's traceback (``faulthandler``), a forked child, and a
child process started with ``subprocess``.
"""

from __future__ import annotations

import base64
import html
import os
import secrets
import subprocess
import sys
import textwrap

import pytest

from devstack.runner import ROOT

PRELUDE = """
import ctypes, os, sys, threading
from shared.redaction import Secret
key = Secret(os.environ["ROW_KEY"], name="partner-api-key")
if os.environ["ROW_PROTECT"] == "1":
    from shared.redaction import (
        install_descriptor_redaction, install_log_redaction, install_output_redaction
    )
    install_log_redaction()
    install_output_redaction()
    install_descriptor_redaction()
value = key.reveal()
shown = os.environ["ROW_SHOWN"]
"""

#: Each row writes ``shown`` (the key, or the variant the row is about) somewhere below
#: ``sys.stdout``/``sys.stderr``.
ROWS = {
    "sys.stdout.buffer": "sys.stdout.buffer.write(f'key {shown}\\n'.encode()); sys.stdout.flush()",
    "os.write to 1": "os.write(1, f'key {shown}\\n'.encode())",
    "os.write to 2": "os.write(2, f'key {shown}\\n'.encode())",
    "a write split by flush": """
        sys.stdout.buffer.write(f"key {shown[:9]}".encode())
        sys.stdout.buffer.flush()
        os.write(1, f"{shown[9:]} and more\\n".encode())
    """,
    "a C library's write": """
        libc = ctypes.CDLL(None)
        data = f"key {shown}\\n".encode()
        libc.write(1, data, len(data))
    """,
    "a child process": """
        import subprocess
        subprocess.run(["/bin/sh", "-c", 'printf "child says %s\\n" "$ROW_SHOWN"'], check=True)
    """,
    "the last line, unended, at exit": "os.write(1, f'last words {shown}'.encode())",
    "an uncaught exception": "raise RuntimeError(f'partner said {shown}')",
}


def _variants(key: str) -> dict[str, str]:
    raw = key.encode()
    return {
        "the key": key,
        "reversed": key[::-1],
        "a prefix": key[:16],
        "lower-case": key.lower(),
        "UTF-16 hex": key.encode("utf-16-le").hex(),
        "shifted base64": base64.b64encode(b"{" + raw + b"}").decode(),
        "base32": base64.b32encode(raw).decode(),
        "HTML entities": "".join(f"&#x{ord(c):x};" for c in key),
        "HTML-escaped": html.escape(key),
    }


def _run(code: str, key: str, shown: str, *, protect: bool, **extra: str) -> str:
    env = {**os.environ, "ROW_KEY": key, "ROW_SHOWN": shown, "PYTHONPATH": str(ROOT), **extra}
    env["ROW_PROTECT"] = "1" if protect else "0"
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def _key() -> str:
    # A key with upper and lower-case letters, so lower-casing changes it.
    while not ((key := secrets.token_urlsafe(24)).lower() != key and key.upper() != key):
        pass
    return key


@pytest.mark.slow
@pytest.mark.parametrize("row", sorted(ROWS))
def test_the_key_reaches_no_descriptor_by_this_path(row: str) -> None:
    key = _key()
    unprotected = _run(ROWS[row], key, key, protect=False)
    assert key in unprotected, f"the row does not write the value at all:\n{unprotected}"
    protected = _run(ROWS[row], key, key, protect=True)
    assert key not in protected, protected
    assert "[REDACTED]" in protected, protected  # the line was written, the value taken out


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(_variants("x" * 24)))
def test_each_variant_written_to_a_descriptor_is_scrubbed(variant: str) -> None:
    key = _key()
    shown = _variants(key)[variant]
    unprotected = _run(ROWS["os.write to 1"], key, shown, protect=False)
    assert shown in unprotected
    protected = _run(ROWS["os.write to 1"], key, shown, protect=True)
    assert shown not in protected, protected
    assert "[REDACTED]" in protected, protected


@pytest.mark.slow
def test_eight_megabytes_at_once_while_threads_print_neither_block_nor_lose_a_byte() -> None:
    """One ``os.write`` far larger than the pipe (1 MiB) while 8 threads write lines with
    the key: every byte of the big write arrives, in order, and every line, scrubbed."""
    code = """
        def chatter(n):
            for i in range(200):
                sys.stdout.write(f"thread {n} line {i} {value}\\n")  # one write: one line
        threads = [threading.Thread(target=chatter, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        block = b"".join(b"%07d\\n" % i for i in range(1024 * 1024))
        os.write(2, block)
        for t in threads:
            t.join()
    """
    key = _key()
    env = {**os.environ, "ROW_KEY": key, "ROW_SHOWN": key, "ROW_PROTECT": "1"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == b"".join(b"%07d\n" % i for i in range(1024 * 1024))
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 8 * 200
    assert all(line.endswith(" [REDACTED]") for line in lines), lines[:3]


def test_a_fatal_signal_s_traceback_reaches_stderr() -> None:
    """faulthandler writes from the signal handler; enabled when the interpreter starts
    (``PYTHONFAULTHANDLER``, the way to turn it on for a Functions app) and pointed at the
    original stderr by the installation, its traceback is not left in a pipe that dies with
    the process."""
    code = "import faulthandler; faulthandler._sigsegv()"
    unprotected = _run(code, _key(), "", protect=False, PYTHONFAULTHANDLER="1")
    assert "Fatal Python error" in unprotected, unprotected
    protected = _run(code, _key(), "", protect=True, PYTHONFAULTHANDLER="1")
    assert "Fatal Python error" in protected, protected


def test_a_forked_child_writes_to_the_original_descriptors_scrubbed_by_its_streams() -> None:
    """The child has no pump: it gets the original descriptors back, so nothing it writes is
    held up or lost when it ends with ``os._exit`` (as multiprocessing's children do), and
    its prints are scrubbed by the stream layer. The parent ends without waiting for it."""
    code = """
        pid = os.fork()
        if pid == 0:
            print(f"child says {value}", flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        print(f"parent says {value}")
    """
    key = _key()
    output = _run(code, key, key, protect=True)
    assert "child says [REDACTED]" in output, output
    assert "parent says [REDACTED]" in output, output
    assert key not in output
