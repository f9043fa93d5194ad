"""``devstack up`` from start to end: the state directory's lock, the start, the watch, the stop.

A stop asked for while the stack is still starting (Ctrl-C, SIGTERM, a closed terminal's
SIGHUP, or with ``--stop-on-stdin-close`` the end of standard input: the program that
started the stack has ended, :mod:`devstack.lifeline`) abandons the start and stops what
was started so far, rather than finishing a start nobody wants.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time

from devstack import leftovers
from devstack.errors import StackError
from devstack.lifeline import watch_stdin
from devstack.options import StackOptions
from devstack.processes import configure_logging
from devstack.stack import Stack
from devstack.statelock import StateLock

logger = logging.getLogger("devstack.stack")

__all__ = ["run_stack"]


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
        return await _run(options)
    finally:
        lock.release()


async def _run(options: StackOptions) -> int:
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
    code = await stack.watch(stop)
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
