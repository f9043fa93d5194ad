"""Where the stack's Azurite comes from: the project's node_modules, or a per-user cache.

In a checkout of the repository ``make setup`` runs ``npm ci`` and Azurite is in the
project's ``node_modules``. An installed devstack (``pip install ...[devstack]``) has no
project directory around it: it carries Azurite's ``package.json`` and
``package-lock.json`` as package data (``devstack/node/``: the same versions, down to each
package's integrity hash, as the project's lock; a test holds the two together) and, on the
first ``devstack up``, runs ``npm ci`` from them into the user's cache directory
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``secretless-devstack/``). The directory is named
for the lock's digest, so a new pin installs beside the old one instead of over it.

``npm ci --prefer-offline``: the lock names every tarball by its integrity hash, so a copy
in npm's cache is the exact bytes and needs no second look at the registry.

The install is built in a staging directory and renamed into place only when ``npm ci``
succeeded, under a file lock: two first ``up`` at once install once, and an interrupted
install leaves nothing a later ``up`` would take for Azurite. Node.js 20 or newer and npm
are needed (Azurite 3.35.0, the pinned version, runs on Node.js 20); without them the start
stops with one line saying what to install.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from devstack.errors import StackError

logger = logging.getLogger("devstack.azurite")

#: The project around a checkout's devstack (site-packages for an installed one).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Azurite's package.json and package-lock.json, shipped with the devstack.
NODE_DIR = Path(__file__).resolve().parent / "node"
ENTRY = Path("node_modules", "azurite", "dist", "src", "azurite.js")
NODE_MAJOR = 20
INSTALLED_MARK = ".installed"
NPM_TIMEOUT = 900.0
_NODE_VERSION = re.compile(r"^v?(\d+)\.")
#: npm's exit on Ctrl-C (the terminal signals the whole process group) or on SIGTERM.
_INTERRUPTED = frozenset({130, 143, -2, -15})


def pinned_version(node_dir: Path = NODE_DIR) -> str:
    """The Azurite version the shipped package.json pins."""
    document = json.loads((node_dir / "package.json").read_text(encoding="utf-8"))
    return str(document["dependencies"]["azurite"])


def cache_root() -> Path:
    """The user's cache directory for the devstack (XDG base directory convention)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "secretless-devstack"


def install_dir(cache: Path, node_dir: Path = NODE_DIR) -> Path:
    """Where the shipped lock installs: one directory per lock's content."""
    digest = hashlib.sha256((node_dir / "package-lock.json").read_bytes()).hexdigest()
    return cache / f"azurite-{pinned_version(node_dir)}-{digest[:12]}"


def azurite_entry(
    *,
    root: Path = PROJECT_ROOT,
    cache: Path | None = None,
    node_dir: Path = NODE_DIR,
    announce: Callable[[str], None] = logger.info,
) -> Path:
    """Azurite's entry script: the project's, the cached one, or a new install in the cache.

    A checkout (a ``package-lock.json`` beside the packages) uses its own ``node_modules``
    and never the cache; anything else installs the shipped lock once into ``cache``.
    """
    if (root / "package-lock.json").is_file():
        entry = root / ENTRY
        if not entry.is_file():
            raise StackError("Azurite is not installed: run `make setup` (npm ci) first")
        return entry
    target = install_dir(cache or cache_root(), node_dir)
    if (target / INSTALLED_MARK).is_file():
        return target / ENTRY
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.parent / ".install.lock"):
        if not (target / INSTALLED_MARK).is_file():  # another start may have installed it
            _install(target, node_dir, announce)
    return target / ENTRY


def check_node() -> tuple[str, str]:
    """``node`` (version 20 or newer) and ``npm``, by path; :class:`StackError` otherwise."""
    node = shutil.which("node")
    if node is None:
        raise StackError(
            f"node is not on PATH: Azurite needs Node.js {NODE_MAJOR} or newer (with npm); "
            f"install Node.js {NODE_MAJOR}, then run devstack up again"
        )
    try:
        found = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    major = _NODE_VERSION.match(found)
    if major is None or int(major[1]) < NODE_MAJOR:
        raise StackError(
            f"Azurite needs Node.js {NODE_MAJOR} or newer, and {node} is "
            f"{found or 'a node that does not answer --version'}: install Node.js {NODE_MAJOR}, "
            "then run devstack up again"
        )
    npm = shutil.which("npm")
    if npm is None:
        raise StackError(
            f"npm is not on PATH: Azurite is installed with npm, which comes with Node.js "
            f"{NODE_MAJOR}; install it (Debian: apt-get install npm), then run devstack up again"
        )
    return node, npm


def _install(target: Path, node_dir: Path, announce: Callable[[str], None]) -> None:
    _, npm = check_node()
    version = pinned_version(node_dir)
    announce(f"installing Azurite {version} into {target} (npm ci, first start only) ...")
    log = target.parent / f"{target.name}.npm.log"
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(node_dir / name, staging / name)
        argv = [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]
        with log.open("wb") as out:
            try:
                code = subprocess.run(
                    argv,
                    cwd=staging,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=NPM_TIMEOUT,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                code = None
        if code in _INTERRUPTED:
            raise StackError(f"the install of Azurite {version} was interrupted: start again")
        if code != 0 or not (staging / ENTRY).is_file():
            why = f"did not finish in {NPM_TIMEOUT:.0f} s" if code is None else f"exit {code}"
            raise StackError(
                f"npm ci could not install Azurite {version} ({why}; its output: {log}): "
                "check that the npm registry is reachable, then run devstack up again"
            )
        (staging / INSTALLED_MARK).write_text(version + "\n", encoding="utf-8")
        if target.exists():  # a directory an older, interrupted layout left
            shutil.rmtree(target)
        staging.rename(target)
        log.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path``: dropped by the kernel however the holder ends."""
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
