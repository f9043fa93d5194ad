"""What the partner stub remembers and counts: idempotent answers, calls, refusals, faults,
and what a careless client does with a hostile answer (cookies sent back, streams cut,
redirects followed)."""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

from devstack.faults import FaultGate, Strike

MAX_REMEMBERED_KEYS = 10_000


class PartnerState:
    """Faults, counters and remembered idempotent answers of one partner app."""

    def __init__(self) -> None:
        self.faults = FaultGate(hostile=True)
        self.counters: Counter[str] = Counter()
        self.by_idempotency_key: Counter[str] = Counter()
        self.answers: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()

    def arrive(self, scope: Scope, strike: Strike | None) -> None:
        """Count an analyze call (by its ``Idempotency-Key``) and the fault that hit it."""
        self.counters["calls"] += 1
        headers = Headers(scope=scope)
        if "cookie" in headers:  # a careful client never sends one (hostile.py sets some)
            self.counters["cookies"] += 1
        idempotency_key = headers.get("idempotency-key")
        if idempotency_key is not None:
            self.by_idempotency_key[idempotency_key] += 1
        if strike is not None:
            self.counters["faults"] += 1

    def remember(self, key: str, fingerprint: str, answer: dict[str, Any]) -> None:
        self.answers[key] = (fingerprint, answer)
        while len(self.answers) > MAX_REMEMBERED_KEYS:
            self.answers.popitem(last=False)

    def stats(self) -> dict[str, Any]:
        names = ("calls", "ok", "unauthorized", "bad_request", "faults")
        provoked = ("hostile", "cookies", "aborted", "landed")  # by hostile answers
        return {
            **{name: self.counters[name] for name in names + provoked},
            "by_idempotency_key": dict(self.by_idempotency_key),
        }

    def reset_stats(self) -> None:
        self.counters.clear()
        self.by_idempotency_key.clear()
