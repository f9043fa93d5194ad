"""Azurite as the stack runs it: HTTPS with OAuth on loopback, provisioned, and switchable.

Azurite (npm, pinned) is started with ``--oauth basic`` and the dev CA's leaf
certificate (bearer tokens need HTTPS), ``--skipApiVersionCheck`` (the SDKs speak a
newer API version than Azurite knows) and ``--disableTelemetry``; its data lives under
``<state>/azurite`` or, with ``--memory``, in memory only. It listens on internal ports;
the public Blob, Queue and Table ports belong to the Storage front
(:mod:`devstack.storagefront`), which refuses key-based requests as Azure does. Once its
ports answer, what ``infra/`` creates in Azure (queues, containers) is created on it.

Where Azurite itself comes from (the project's ``node_modules``, or a per-user cache an
installed devstack fills on its first start) is :mod:`devstack.azuriteinstall`'s business.

Its state files (LokiJS databases, JSON) are checked before it starts: a damaged one
stops the start with one line naming the file and the way out, not Azurite's stack trace.

A storage outage can be rehearsed: :meth:`Azurite.stop` stops it gracefully and
:meth:`Azurite.start` brings it back on the same ports, provisioned again; its data
survives unless it runs in memory. The control plane (:mod:`devstack.control`) offers
both.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.certs import DevCertificates
from devstack.ports import LOOPBACK
from devstack.processes import ChildProcess, StackError, wait_for_port
from devstack.storagefront.server import StorageFront
from devstack.storagestats import StorageStats

logger = logging.getLogger("devstack.azurite")

NAME = "azurite"
SERVICES = ("blob", "queue", "table")
STARTUP_TIMEOUT = 90.0
#: Azurite's per-request access log: written to its log file, kept off the console.
ACCESS_LOG = re.compile(r'^\S+ - - \[[^\]]+\] "')


def check_state(location: Path) -> None:
    """Refuse to start on a damaged Azurite database, naming the file and the way out."""
    for path in sorted(location.glob("__azurite_db_*.json")):
        try:
            raw = path.read_bytes()
            if raw.strip():  # Azurite starts an empty file afresh
                json.loads(raw)
        except (OSError, ValueError) as exc:
            reason = "not JSON" if isinstance(exc, ValueError) else type(exc).__name__
            raise StackError(
                f"Azurite's state file {path} is damaged ({reason}): move {location} away to "
                f"start with empty storage (its blobs, queues and tables are lost), e.g. "
                f"`mv {location} {location}.damaged`, or run with --memory"
            ) from None


class Azurite:
    """One Azurite child process, started again on the same ports after a stop.

    :keyword ports: Azurite's own (internal) ports, by service.
    :keyword fronts: the Storage fronts on the public ports: listening while Azurite runs.
    :keyword provision: creates what the deployment creates (idempotent); run after each start.
    :keyword started: told of each new child process (the stack watches it).
    :keyword stats: counts the transactions Azurite logs (the control plane's ``storage``).
    """

    def __init__(
        self,
        *,
        entry: Path,
        ports: dict[str, int],
        fronts: Sequence[StorageFront],
        certs: DevCertificates,
        state_dir: Path,
        log_dir: Path,
        memory: bool,
        provision: Callable[[], None],
        started: Callable[[ChildProcess], None],
        stats: StorageStats | None = None,
    ) -> None:
        self._entry, self._ports, self._certs = entry, ports, certs
        self._fronts = fronts
        self._state_dir, self._log_dir, self._memory = state_dir, log_dir, memory
        self._provision, self._started = provision, started
        self._stats = stats
        self._lock = asyncio.Lock()
        self.child: ChildProcess | None = None
        #: Stopped on request: its exit is a rehearsal, not a failure of the stack.
        self.paused = False

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.running

    async def start(self) -> None:
        """Start Azurite (again) and provision it; :class:`StackError` says why it cannot."""
        async with self._lock:
            if self.running:
                return
            if self.child is not None:
                logger.warning("azurite: starting again on request")
            await self._launch()
            self.paused = False

    async def stop(self) -> None:
        """Stop Azurite gracefully; the stack keeps running without storage."""
        async with self._lock:
            if self.child is not None and self.child.running:
                self.paused = True
                logger.warning("azurite: stopping on request (storage outage rehearsal)")
                for front in self._fronts:
                    await front.pause()
                await self.child.stop()

    def _argv(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise StackError("node is not on PATH: Azurite needs Node.js 20")
        ports, certs = self._ports, self._certs
        argv = [node, str(self._entry)]
        for piece in SERVICES:
            argv += [f"--{piece}Host", LOOPBACK, f"--{piece}Port", str(ports[piece])]
        argv += ["--oauth", "basic", "--cert", str(certs.server_cert), "--key"]
        argv += [str(certs.server_key), "--skipApiVersionCheck", "--disableTelemetry"]
        if self._memory:
            return [*argv, "--inMemoryPersistence"]
        location = self._state_dir / "azurite"
        location.mkdir(parents=True, exist_ok=True)
        check_state(location)
        return [*argv, "--location", str(location)]

    async def _launch(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        child = ChildProcess(
            NAME,
            self._argv(),
            env=env,
            cwd=self._state_dir,
            log_dir=self._log_dir,
            quiet=ACCESS_LOG,
            on_line=None if self._stats is None else self._stats.record_line,
        )
        await child.start()
        self.child = child
        self._started(child)
        for piece in SERVICES:
            await wait_for_port(self._ports[piece], child, STARTUP_TIMEOUT)
        for front in self._fronts:
            await front.start()
        await asyncio.to_thread(self._provision)  # what infra/ creates; idempotent
