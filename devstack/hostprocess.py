"""The function host as the stack runs it: killed on request, as an instance dies; started again.

An instance of a Function App can vanish at any moment: a recycle, a scale-in, a deploy,
a crash. ``kill`` rehearses that with ``SIGKILL`` to the host's process group: no
shutdown, no drain, no ``finally`` runs, so whatever the host was doing between two
writes stays half done. ``start`` brings it back with the same command line and
environment (a new instance of the same app) and waits until it answers its ping. While
it is down on request the stack does not count its exit as a failure (``paused``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

from devstack.errors import StackError
from devstack.processes import ChildProcess, wait_for_http

NAME = "host"
logger = logging.getLogger("devstack.host")

#: The host's one line for a missing or malformed setting (shared.settings._parsers.SettingsError).
_SETTING_ERROR = re.compile(
    r"SettingsError: (?P<problem>app setting (?P<name>[^:\s]+): .*?)"
    r"(?: \(\w+\.py, line \d+\))?(?: \(log: (?P<log>.*)\))?$"
)


def explain_start_failure(error: StackError, app_dir: Path, settings_source: Path) -> StackError:
    """A host that stopped on a missing or malformed app setting: say where to set it,
    keeping the host's log file the original error named.

    Any other failure is returned as it was.
    """
    setting = _SETTING_ERROR.search(str(error))
    if setting is None:
        return error
    own = app_dir / "local.settings.json"
    where = (
        f"{own} (Values)"
        if settings_source == own
        else f"{own} (copy {settings_source.name}, then edit Values)"
    )
    log = f" (log: {setting['log']})" if setting["log"] else ""
    return StackError(
        f"the app cannot start: {setting['problem']}: set it in {where}, or for one run "
        f"with --app-setting {setting['name']}=VALUE{log}"
    )


class FunctionHost:
    """One host child process; ``kill`` and ``start`` are what the control plane offers.

    :keyword ping_url: answered once the host serves requests.
    :keyword started: told of each new child process (the stack watches it).
    :keyword timeout: seconds a start may take.
    """

    def __init__(
        self,
        *,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        log_dir: Path,
        ping_url: str,
        started: Callable[[ChildProcess], None],
        timeout: float,
    ) -> None:
        self._argv, self._env, self._cwd, self._log_dir = argv, env, cwd, log_dir
        self._ping_url, self._started, self._timeout = ping_url, started, timeout
        self._lock = asyncio.Lock()
        self.child: ChildProcess | None = None
        #: Killed on request: its exit is a rehearsal, not a failure of the stack.
        self.paused = False

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.running

    async def start(self) -> None:
        """Start the host (again) and wait until it answers; :class:`StackError` if it
        cannot."""
        async with self._lock:
            if self.running:
                return
            if self.child is not None:
                logger.warning("host: starting again on request (a new instance)")
            child = ChildProcess(
                NAME, self._argv, env=self._env, cwd=self._cwd, log_dir=self._log_dir
            )
            await child.start()
            self.child = child
            self._started(child)
            await wait_for_http(self._ping_url, child, self._timeout)
            self.paused = False

    async def kill(self) -> None:
        """``SIGKILL`` the host's process group and wait for it: an instance lost mid-work."""
        async with self._lock:
            child = self.child
            if child is None or child.process is None or not child.running:
                return
            self.paused = True
            logger.warning("host: killed on request (SIGKILL: a lost instance rehearsal)")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            await child.wait()

    async def stop(self) -> None:
        if self.child is not None:
            await self.child.stop()
