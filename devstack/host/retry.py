"""Function retry policies (``@app.retry``), as the Functions runtime applies them.

Only triggers whose extension supports runtime retries honour a policy; of the triggers
the devstack runs that is the timer. For HTTP, queue and blob triggers the host logs that
retries are not supported and runs the function once (queues and blobs retry through
their own ``maxDequeueCount``). A failed attempt is retried after the policy's delay,
``max_retry_count`` times (``-1``: until it succeeds); each attempt is a new invocation
whose ``context.retry_context`` counts it.

* ``fixed_delay``: ``delay_interval`` between attempts.
* ``exponential_backoff``: the first wait is ``minimum_interval``; each next one adds
  ``minimum_interval * 2^(n-1)`` randomised by +/-20 %, capped at ``maximum_interval``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

FIXED = "fixed_delay"
EXPONENTIAL = "exponential_backoff"
RANDOMIZATION = 0.2


class RetryPolicyError(ValueError):
    """A retry policy the worker cannot send to the host (indexing fails)."""


def _seconds(value: Any, what: str) -> float:
    try:
        parsed = time.strptime(str(value), "%H:%M:%S")
    except (TypeError, ValueError) as exc:
        raise RetryPolicyError(f"retry {what} {value!r} is not HH:MM:SS") from exc
    return float(parsed.tm_hour * 3600 + parsed.tm_min * 60 + parsed.tm_sec)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    strategy: str
    max_retry_count: int
    delay: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> RetryPolicy | None:
        if not settings:
            return None
        strategy = str(settings.get("strategy", ""))
        try:
            count = int(settings.get("max_retry_count", ""))
        except (TypeError, ValueError) as exc:
            raise RetryPolicyError("retry max_retry_count must be a whole number") from exc
        if count < -1:
            raise RetryPolicyError("retry max_retry_count must be -1 or more")
        if strategy == FIXED:
            return cls(FIXED, count, delay=_seconds(settings.get("delay_interval"), "delay"))
        if strategy == EXPONENTIAL:
            minimum = _seconds(settings.get("minimum_interval"), "minimum_interval")
            maximum = _seconds(settings.get("maximum_interval"), "maximum_interval")
            if minimum > maximum:
                raise RetryPolicyError("retry minimum_interval is greater than maximum_interval")
            return cls(EXPONENTIAL, count, minimum=minimum, maximum=maximum)
        raise RetryPolicyError(f"retry strategy {strategy!r} is neither {FIXED} nor {EXPONENTIAL}")

    def exhausted(self, retries_done: int) -> bool:
        return self.max_retry_count != -1 and retries_done >= self.max_retry_count

    def delays(self, rng: random.Random | None = None) -> Backoff:
        return Backoff(self, rng or random.Random())


class Backoff:
    """The successive waits of one invocation's retries."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self._current = 0.0
        self._exponent = 0

    def next(self) -> float:
        policy = self._policy
        if policy.strategy == FIXED:
            return policy.delay
        if self._current == policy.maximum and self._exponent:
            return self._current
        wait = policy.minimum
        if self._exponent > 0:
            factor = self._rng.uniform(1 - RANDOMIZATION, 1 + RANDOMIZATION)
            wait += factor * (2 ** (self._exponent - 1)) * policy.minimum
        if wait < policy.maximum:
            self._current = wait
            self._exponent += 1
        else:
            self._current = policy.maximum
            self._exponent = max(self._exponent, 1)
        return self._current


def timespan(seconds: float) -> str:
    """``hh:mm:ss[.fffffff]`` as .NET prints a TimeSpan (the host's retry log lines)."""
    whole = int(seconds)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    fraction = round((seconds - whole) * 10_000_000)
    return f"{text}.{fraction:07d}" if fraction else text
