"""What every emulator puts in front of its routes: an access log and a fault gate.

The local vault and the partner stub both log one line per request (method, path,
status: never a query, header or body, which may carry a token or a key) and let a
fault plan (:mod:`devstack.faults`) strike the calls it covers before the emulator
does anything else, as an outage in front of the real service would.

The gate sits in the app's ``__call__``, not in a middleware: a ``reset`` must reach
uvicorn as the app's return value (see :data:`devstack.faults.RESET_MARKER`), which
Starlette's middleware stack would swallow. So an :class:`EmulatorApp` must be handed
to uvicorn directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ExceptionHandler, Message, Receive, Scope, Send

from devstack.faults import RESET_MARKER, STRIKE_SCOPE_KEY, FaultGate, Strike


class Counters(Protocol):
    """What a piece counts (``GET /devstack/stats/<piece>`` on the control plane)."""

    def stats(self) -> Mapping[str, Any]: ...

    def reset_stats(self) -> None: ...


#: Called for every call the gate covers, with the strike that hit it (None: no fault).
Arrival = Callable[[Scope, Strike | None], None]


class EmulatorApp(Starlette):
    """Starlette with an access log and a fault gate in front of everything else.

    :keyword faults: the plan's gate; the control plane finds it as ``app.faults``.
    :keyword counters: what the emulator counts; the control plane finds them as
        ``app.counters``.
    :keyword logger: where the access log goes (``devstack.<piece>``).
    :keyword gated: which calls the gate covers (the emulated API, not its ``/devstack/``
        routes).
    :keyword arrived: counts covered calls and the faults that hit them.
    """

    def __init__(
        self,
        *,
        routes: Sequence[BaseRoute],
        faults: FaultGate,
        counters: Counters,
        logger: logging.Logger,
        gated: Callable[[Scope], bool],
        arrived: Arrival | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
    ) -> None:
        super().__init__(routes=routes, exception_handlers=exception_handlers)
        self.faults = faults
        self.counters = counters
        self._logger = logger
        self._gated = gated
        self._arrived = arrived

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return None
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        outcome = "aborted"
        try:
            if self._gated(scope):
                strike = self.faults.strike()
                if self._arrived is not None:
                    self._arrived(scope, strike)
                if strike is not None:
                    if strike.mode == "slow":
                        # Read the request now: a slow service has the call and does the
                        # work, even if the caller has given up waiting by the time it answers.
                        receive = await _buffered(receive)
                    answered = await strike.carry_out(scope, receive, capture)
                    if answered == RESET_MARKER:
                        outcome = "reset"
                        return answered
                    if answered is None:
                        return None
                    scope = {**scope, STRIKE_SCOPE_KEY: strike.mode}  # served, spoiled later
            await super().__call__(scope, receive, capture)
            return None
        finally:
            self._logger.info("%s %s -> %s", scope["method"], scope["path"], status or outcome)


async def _buffered(receive: Receive) -> Receive:
    """Read the whole request body now; replay it to the app later."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await receive()

    return replay
