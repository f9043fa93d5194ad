"""Every path by which a registered value could reach stdout or stderr, each in a fresh
interpreter whose real output is captured: with the app's redaction installed the value is
in none of it; without, the same code writes it (the positive control of each row).

What each row relies on, from the Python docs (3.11):

* ``print()`` writes to ``sys.stdout`` (Built-in Functions, print: "file ... defaults to
  the current sys.stdout");
* ``warnings.showwarning`` writes to ``sys.stderr`` (warnings: "writes the message to a
  file ... The default implementation ... sys.stderr");
* ``threading.excepthook`` writes to ``sys.stderr`` ("By default ... the exception is
  printed to sys.stderr"); so does ``sys.excepthook`` for the main thread;
* ``http.client``'s ``HTTPConnection.set_debuglevel`` / ``debuglevel``: "debugging output
  ... printed to sys.stdout" (http.client), every header it sends included, as requests
  documents for debugging (``HTTPConnection.debuglevel = 1``);
* a handler attached to a logger other than root, or to a logger with ``propagate = False``,
  gets records that never reach root's handlers (logging, Logger.propagate), and a
  formatter's ``%(name)s`` writes ``str()`` of an ``extra`` value, whatever its type.

The handler rows write to ``sys.__stdout__``/``sys.__stderr__`` (the unwrapped streams) so
they prove the logging side alone.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import textwrap
from urllib.parse import quote

import pytest

from devstack.runner import ROOT

PRELUDE = """
import logging, os, sys
from shared.redaction import Secret
key = Secret(os.environ["ROW_KEY"], name="partner-api-key")
if os.environ["ROW_PROTECT"] == "1":
    from shared.redaction import install_log_redaction
    from shared.redaction import install_output_redaction
    install_log_redaction()
    install_output_redaction()
value = key.reveal()
"""

ROWS = {
    "print": """
        print("calling the partner with", value)
    """,
    "print in pieces, then a flush": """
        print("key:", end=" ", flush=False)
        print(value[:10], end="")
        print(value[10:])
        sys.stdout.flush()
    """,
    "warnings.warn": """
        import warnings
        warnings.warn(f"the key {value} is deprecated")
    """,
    "a thread's uncaught exception": """
        import threading
        def work():
            raise RuntimeError(f"partner answered: bad key {value}")
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    """,
    "the main thread's uncaught exception": """
        raise RuntimeError(f"partner answered: bad key {value}")
    """,
    "http.client debug output of a partner call": """
        import http.client, threading
        from http.server import BaseHTTPRequestHandler, HTTPServer
        class Ok(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            def log_message(self, *args):
                pass
        server = HTTPServer(("127.0.0.1", 0), Ok)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        http.client.HTTPConnection.debuglevel = 1
        from shared.outbound import OutboundClient
        url = f"http://127.0.0.1:{server.server_address[1]}"
        OutboundClient(url, key_provider=lambda **_: key).post_json("v1/analyze", json={})
    """,
    "a non-string extra value": """
        logging.basicConfig(stream=sys.__stderr__, format="%(message)s %(detail)s")
        detail = {"request": {"headers": {"X-Api-Key": value}}}
        logging.getLogger("app.jobs").warning("partner call failed", extra={"detail": detail})
    """,
    "a bytes extra value": """
        logging.basicConfig(stream=sys.__stderr__, format="%(message)s %(body)s")
        logging.getLogger("app.jobs").warning("answer", extra={"body": value.encode()})
    """,
    "a handler on urllib3.connectionpool": """
        logger = logging.getLogger("urllib3.connectionpool")
        logger.addHandler(logging.StreamHandler(sys.__stdout__))
        logger.warning("Retrying after connection broken by %s", value)
    """,
    "a handler on uvicorn.error": """
        logger = logging.getLogger("uvicorn.error")
        logger.addHandler(logging.StreamHandler(sys.__stdout__))
        logger.error("Exception in ASGI application: %s", value)
    """,
    "a handler on py.warnings (captureWarnings)": """
        import warnings
        logging.captureWarnings(True)
        logging.getLogger("py.warnings").addHandler(logging.StreamHandler(sys.__stderr__))
        warnings.warn(f"the key {value} is deprecated")
    """,
    "a handler on a logger that does not propagate": """
        logger = logging.getLogger("vendor.sdk.transport")
        logger.propagate = False
        logger.addHandler(logging.StreamHandler(sys.__stdout__))
        logger.warning("sent headers {'x-api-key': '%s'}", value)
    """,
}


def _run(row: str, key: str, *, protect: bool) -> str:
    code = PRELUDE + textwrap.dedent(ROWS[row])
    env = {**os.environ, "ROW_KEY": key, "ROW_PROTECT": "1" if protect else "0"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def _forms(key: str) -> set[str]:
    raw = key.encode()
    return {key, base64.b64encode(raw).decode().rstrip("="), quote(key, safe=""), raw.hex()}


@pytest.mark.slow
@pytest.mark.parametrize("row", sorted(ROWS))
def test_the_value_reaches_no_output_by_this_path(row: str) -> None:
    key = secrets.token_urlsafe(24)
    unprotected = _run(row, key, protect=False)
    assert key in unprotected, f"the row does not write the value at all:\n{unprotected}"
    protected = _run(row, key, protect=True)
    assert not any(form in protected for form in _forms(key)), protected
    assert "[REDACTED]" in protected, protected  # the line was written, the value taken out
