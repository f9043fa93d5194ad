"""What the partner stub remembers and counts: idempotent answers, calls, refusals, faults."""

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
        self.faults = FaultGate()
        self.counters: Counter[str] = Counter()
        self.by_idempotency_key: Counter[str] = Counter()
        self.answers: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()

    def arrive(self, scope: Scope, strike: Strike | None) -> None:
        """Count an analyze call (by its ``Idempotency-Key``) and the fault that hit it."""
        self.counters["calls"] += 1
        idempotency_key = Headers(scope=scope).get("idempotency-key")
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
        return {
            **{name: self.counters[name] for name in names},
            "by_idempotency_key": dict(self.by_idempotency_key),
        }

    def reset_stats(self) -> None:
        self.counters.clear()
        self.by_idempotency_key.clear()
