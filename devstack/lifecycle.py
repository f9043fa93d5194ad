"""``devstack up`` from start to stop: the state directory taken, the stack started and watched.

The watch ends on Ctrl-C (SIGINT, SIGTERM, a closed terminal's SIGHUP), with
``--stop-on-stdin-close`` on the end of standard input (the program that started the stack
has ended, :mod:`devstack.lifeline`), on a piece that dies, or when the state directory is
deleted under the running stack: its certificates,
signing key and lock go with it, so every new token and TLS handshake would fail while the
API still answered, and a second stack could take the directory again. The lock file the
stack holds tells (its link count drops to zero), the stack stops and says so in one line.
A stop asked for while the stack is still starting abandons the start and stops what was
started so far, rather than finishing a start nobody wants.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from typing import Any

from devstack import leftovers
from devstack.azurite import NAME as AZURITE
from devstack.errors import StackError
from devstack.hostprocess import NAME as HOST
from devstack.lifeline import watch_stdin
from devstack.options import StackOptions
from devstack.processes import configure_logging
from devstack.stack import Stack
from devstack.statelock import StateLock

logger = logging.getLogger("devstack.stack")

#: How often the state directory is checked while the stack runs.
STATE_POLL_SECONDS = 0.5


def removed_message(options: StackOptions) -> str:
    return (
        f"the state directory {options.state_dir} was deleted while the stack ran (its "
        "certificates, signing key and lock went with it): stopping the stack; start it "
        "again with `make run` (delete the state directory only while no stack runs)"
    )


async def run_stack(options: StackOptions) -> int:
    """Take the state directory, start the stack, print the banner, run until stopped."""
    try:
        lock = StateLock.acquire(options.state_dir)
    except StackError as exc:
        print(f"devstack cannot start: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        configure_logging(options.state_dir / "logs")
        leftovers.clear(options.state_dir.resolve())
        return await _run(options, lock)
    finally:
        lock.release()


async def _run(options: StackOptions, lock: StateLock) -> int:
    stack = Stack(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    if options.stop_with_stdin:

        def parent_gone() -> None:
            loop.call_soon_threadsafe(_parent_gone, stop)

        watch_stdin(parent_gone)
    started = time.monotonic()
    try:
        if not await _started_unless_stopped(stack, stop):
            logger.info("stopped while starting")
            await stack.stop()
            return 0
    except (StackError, OSError, ValueError) as exc:
        logger.error("devstack cannot start: %s", exc)
        await stack.stop()
        return 2
    if options.banner:
        from devstack.banner import banner

        print(banner(stack.endpoints, options.state_dir, time.monotonic() - started), flush=True)
    else:
        logger.info("devstack ready in %.1fs", time.monotonic() - started)
    code = await watch(stack, stop, lock)
    logger.info("stopping")
    await stack.stop()
    return code


def _parent_gone(stop: asyncio.Event) -> None:
    logger.info("standard input closed: the program that started the stack has ended")
    stop.set()


async def _started_unless_stopped(stack: Stack, stop: asyncio.Event) -> bool:
    """Start the stack; False (the start abandoned) when asked to stop first: a starter that
    is gone, or a Ctrl-C, does not wait for a start it no longer wants. Children already
    started are the stack's to stop (and die with it in any case)."""
    starting = asyncio.create_task(stack.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait((starting, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if starting.done():
        starting.result()  # raises what the start raised
        return True
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError, StackError, OSError, ValueError):
        await starting
    return False


async def _state_removed(lock: StateLock) -> None:
    while not lock.removed():
        await asyncio.sleep(STATE_POLL_SECONDS)


async def watch(stack: Stack, stop: asyncio.Event, lock: StateLock) -> int:
    """Wait for Ctrl-C, a dead piece or a deleted state directory; return the exit code.

    Azurite stopped on request (the control plane) is not a failure: the watch re-arms
    whenever the set of running children changes. A piece that died because its state
    directory went away is reported as that, not as a piece that stopped.
    """
    stopper = asyncio.create_task(stop.wait())
    gone = asyncio.create_task(_state_removed(lock))
    servers = {s.task: "local services" for s in stack.servers if s.task is not None}
    try:
        while True:
            stack.changed.clear()
            changed = asyncio.create_task(stack.changed.wait())
            waits: dict[asyncio.Task[Any], str] = {
                asyncio.create_task(child.wait()): child.name
                for child in stack.children
                if child.running
            }
            done, _ = await asyncio.wait(
                [stopper, gone, changed, *waits, *servers], return_when=asyncio.FIRST_COMPLETED
            )
            for task in [changed, *waits]:
                task.cancel()
            if stopper in done:
                return 0
            if gone in done or lock.removed():
                logger.error("%s", removed_message(stack.options))
                return 1
            dead = [name for task, name in {**waits, **servers}.items() if task in done]
            paused = {AZURITE} if stack.azurite is not None and stack.azurite.paused else set()
            if stack.host is not None and stack.host.paused:
                paused.add(HOST)
            dead = [name for name in dead if name not in paused]
            if dead:
                logger.error("%s stopped unexpectedly; stopping the stack", dead[0])
                return 1
    finally:
        stopper.cancel()
        gone.cancel()
