"""Headless Chromium (Debian's ``chromium``) for the pages a person reads.

A page test renders the page in a real browser and reads back the DOM Chromium built and
what its console logged. Chromium is a system package, not a pip or npm dependency:
``.ci/run`` installs it; on a developer's machine without it the page tests are skipped with
the command that installs it, while under ``CI`` a missing browser fails the run, so a
green CI always means the pages were rendered.

The flags keep Chromium off the network it would otherwise try at start (component
updates, sync, background requests): the machines this runs on reach no host but loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install chromium"

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass(frozen=True)
class Rendered:
    """What the browser made of a page: its DOM after scripts ran, and its log."""

    dom: str
    log: str


def chromium() -> str:
    """The browser's path; skips (locally) or fails (under CI) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = f"Debian's chromium is not installed ({INSTALL_HINT})"
    if os.environ.get("CI"):
        pytest.fail(message + ": CI must render every page a person reads")
    pytest.skip(message)


def render(url: str, profile: Path, *, timeout: float = 120.0) -> Rendered:
    """Load ``url`` (``file://`` or loopback ``http://``) headless and dump the built DOM."""
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Rendered(dom=proc.stdout, log=proc.stderr)
