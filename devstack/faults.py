"""Injected faults for the devstack's HTTP services: what to break, how often, for how long.

The partner stub and the local vault both take a plan on the control plane (``PUT
/devstack/faults/<piece>``, :mod:`devstack.control`; ``GET`` shows it, ``DELETE`` clears it),
so tests and users can rehearse an outage without touching the app. A plan is decided
before the service does anything else, as an outage in front of the real service would be
(:class:`devstack.asgi.EmulatorApp`). ``latency_ms`` delays every injected fault; the modes
are:

* ``status``: answer ``status`` (default 503), with ``Retry-After`` when ``retry_after`` is set;
* ``timeout``: wait ``latency_ms``, then answer 504;
* ``slow``: wait ``latency_ms``, then answer normally (for client-side timeouts);
* ``reset``: close the connection without any response. ASGI has no way to say that, so the
  app returns a non-None value, on which uvicorn (h11 and httptools alike) closes the transport
  without writing and logs one error line quoting :data:`RESET_MARKER`. This holds only when the
  app is handed to uvicorn directly: a wrapper that drops the return value turns it into a 500.
  The peer sees EOF (a TLS close), not a TCP RST.
* ``hang``: a black hole: take the call and answer nothing for as long as the plan stays (until
  it is cleared or its ``seconds`` run out; at most ``latency_ms`` when that is set), then close
  the connection as ``reset`` does. Give it ``seconds`` rather than ``count``: a plan that
  counts down to zero is gone, and so is the hang.

The partner stub also plays a hostile partner (:data:`HOSTILE_MODES`, refused for the vault):
the call is served (the key checked, the work done) and the answer is then spoiled the way
the mode says, by :mod:`devstack.partner.hostile`: the key echoed in the answer's fields, in a
nested object, in a header or in a cookie; a harmless cookie; the answer trickled; a huge
answer; a redirect; a body that is not JSON. The gate passes the mode on in the ASGI scope
(:data:`STRIKE_SCOPE_KEY`).

``mode`` may also be a list: each struck call then gets one of them, drawn at random (a mix of
errors and timeouts, say). ``count`` limits the fault to the next N calls, ``seconds`` to a
window starting now (the plan clears itself after either); ``rate`` is the chance that each
call is hit, drawn from an RNG seeded by ``seed`` for repeatable runs.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

__all__ = [
    "HOSTILE_MODES",
    "MODES",
    "RESET_MARKER",
    "STRIKE_SCOPE_KEY",
    "FaultGate",
    "FaultPlan",
    "Strike",
]

RESET_MARKER = "devstack fault: connection closed without a response"
HOSTILE_MODES = (
    "echo_field",
    "echo_nested",
    "echo_header",
    "echo_cookie",
    "set_cookie",
    "trickle",
    "huge",
    "redirect",
    "not_json",
)
MODES = ("status", "timeout", "slow", "reset", "hang", *HOSTILE_MODES)
#: Where a struck call served by the emulator finds its mode (``scope[STRIKE_SCOPE_KEY]``).
STRIKE_SCOPE_KEY = "devstack.fault"
HANG_POLL_SECONDS = 0.05
MAX_WINDOW_SECONDS = 3600.0


@dataclass(slots=True)
class FaultPlan:
    """One fault plan; ``count`` counts down as calls arrive."""

    mode: str | list[str]
    status: int = 503
    rate: float = 1.0
    latency_ms: int = 0
    count: int | None = None
    seconds: float | None = None
    retry_after: int | None = None
    seed: int | None = None

    @property
    def modes(self) -> list[str]:
        return [self.mode] if isinstance(self.mode, str) else list(self.mode)

    @classmethod
    def parse(cls, body: object) -> FaultPlan:
        """Validate a ``PUT /devstack/faults/<piece>`` body; ``ValueError`` says what is wrong."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(body) - set(cls.__slots__)
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        mode = body.get("mode")
        modes = mode if isinstance(mode, list) else [mode]
        if not modes or any(m not in MODES for m in modes):
            raise ValueError(f"mode must be one of {list(MODES)} or a non-empty list of them")
        plan = cls(mode=mode if isinstance(mode, str) else [str(m) for m in modes])
        plan.status = _int(body, "status", 503, low=400, high=599)
        plan.latency_ms = _int(body, "latency_ms", 0, low=0, high=600_000)
        plan.count = _optional_int(body, "count", low=1)
        plan.retry_after = _optional_int(body, "retry_after", low=0)
        plan.seed = _optional_int(body, "seed", low=None)
        plan.rate = _fraction(body.get("rate", 1.0))
        seconds = body.get("seconds")
        if seconds is not None and (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 < seconds <= MAX_WINDOW_SECONDS
        ):
            raise ValueError(f"seconds must be null or a number from 0 to {MAX_WINDOW_SECONDS:g}")
        plan.seconds = None if seconds is None else float(seconds)
        return plan


@dataclass(frozen=True, slots=True)
class Strike:
    """A fault that hits one call: the plan and the mode drawn for this call."""

    plan: FaultPlan
    mode: str
    gate: FaultGate | None = None

    async def carry_out(self, scope: Scope, receive: Receive, send: Send) -> str | None:
        """Delay, then answer the fault. Returns :data:`RESET_MARKER` for ``reset`` and
        ``hang`` (return it to uvicorn), ``"pass"`` for ``slow`` and the hostile modes (serve
        the call, the mode in the scope), otherwise None."""
        if self.mode == "hang":
            await self._hang()
            return RESET_MARKER
        if self.plan.latency_ms:
            delay = self.gate.delay if self.gate is not None else asyncio.sleep
            await delay(self.plan.latency_ms / 1000)
        if self.mode == "reset":
            return RESET_MARKER
        if self.mode == "slow" or self.mode in HOSTILE_MODES:
            return "pass"
        await self.response()(scope, receive, send)
        return None

    async def _hang(self) -> None:
        limit = self.plan.latency_ms / 1000 if self.plan.latency_ms else None
        waited = 0.0
        while self.gate is not None and self.gate.plan is self.plan:
            if limit is not None and waited >= limit:
                return
            await asyncio.sleep(HANG_POLL_SECONDS)
            waited += HANG_POLL_SECONDS

    def response(self) -> Response:
        if self.mode == "timeout":
            return JSONResponse({"error": "upstream_timeout"}, status_code=504)
        plan = self.plan
        headers = {"Retry-After": str(plan.retry_after)} if plan.retry_after is not None else None
        return JSONResponse(
            {"error": "injected_fault", "status": plan.status},
            status_code=plan.status,
            headers=headers,
        )


class FaultGate:
    """The current plan of one service and the decision, per call, whether it strikes.

    ``delay`` waits out a plan's ``latency_ms``; a test may put a recorder in its place and
    assert on the delays asked for instead of timing the answers.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        hostile: bool = False,
        delay: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self.delay = delay
        self.hostile = hostile  # whether the service plays the hostile modes
        self._lock = threading.Lock()
        self._plan: FaultPlan | None = None
        self._until: float | None = None
        self._rng = random.Random()

    @property
    def plan(self) -> FaultPlan | None:
        with self._lock:
            return self._current()

    def set_plan(self, plan: FaultPlan | None) -> None:
        """Set (or clear) the plan; ``ValueError`` for hostile modes on a service without them."""
        if plan is not None and not self.hostile and set(plan.modes) & set(HOSTILE_MODES):
            raise ValueError(f"only the partner plays the hostile modes {list(HOSTILE_MODES)}")
        with self._lock:
            self._plan = plan
            self._until = None
            if plan is not None:
                if plan.seed is not None:
                    self._rng.seed(plan.seed)
                if plan.seconds is not None:
                    self._until = self._clock() + plan.seconds

    def strike(self) -> Strike | None:
        """Decide for one arriving call; None means serve it normally."""
        with self._lock:
            plan = self._current()
            if plan is None:
                return None
            if plan.count is not None:
                plan.count -= 1
                if plan.count <= 0:
                    self._plan = None
            if self._rng.random() >= plan.rate:
                return None
            modes = plan.modes
            mode = modes[0] if len(modes) == 1 else self._rng.choice(modes)
            return Strike(plan, mode, self)

    def _current(self) -> FaultPlan | None:
        if self._until is not None and self._clock() >= self._until:
            self._plan = self._until = None
        return self._plan


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("rate must be a number from 0 to 1")
    return float(value)


def _int(body: dict[str, Any], key: str, default: int, *, low: int, high: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key} must be an integer from {low} to {high}")
    return value


def _optional_int(body: dict[str, Any], key: str, *, low: int | None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        bound = "" if low is None else f" >= {low}"
        raise ValueError(f"{key} must be null or an integer{bound}")
    return value
