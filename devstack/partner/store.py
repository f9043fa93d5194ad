"""What the partner stub remembers and counts: idempotent answers, calls, refusals, faults,
and what a careless client does with a hostile answer (cookies sent back, streams cut,
redirects followed)."""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

from devstack.faults import FaultGate, Strike
from devstack.partner.bearer import BearerGate

MAX_REMEMBERED_KEYS = 10_000


class PartnerState:
    """Faults, counters and remembered idempotent answers of one partner app; with a
    ``bearer`` gate, the tenants of the tokens it accepted."""

    def __init__(self, bearer: BearerGate | None = None, *, key_header: str = "X-Api-Key") -> None:
        self.bearer, self.key_header = bearer, key_header.lower()
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
        if headers.get("authorization", "").lower().startswith("bearer "):
            self.counters["tokens_presented"] += 1
        if self.key_header in headers:
            self.counters["keys_presented"] += 1
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
        found: dict[str, Any] = {name: self.counters[name] for name in names + provoked}
        if self.bearer is not None:  # what reached an API that takes tokens and no key
            credentials = ("keys_presented", "tokens_presented", "api_key_refused", "forbidden")
            found.update({name: self.counters[name] for name in credentials})
            found["by_tenant"] = dict(self.bearer.by_tenant)
        found["by_idempotency_key"] = dict(self.by_idempotency_key)
        return found

    def reset_stats(self) -> None:
        self.counters.clear()
        self.by_idempotency_key.clear()
        if self.bearer is not None:
            self.bearer.reset_stats()
