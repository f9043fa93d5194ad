"""The partner's key management: issue, list and revoke API keys, as partner APIs offer it.

Dual-key rotation needs the old key to keep working while the new one spreads, and to stop
working on cue. So: ``POST /v1/keys`` issues a new key (authenticated with any key the
partner currently accepts; the old one is untouched), ``DELETE /v1/keys/{id}?grace_seconds=N``
revokes a key at once or, with a grace, lets it work N more seconds, and ``GET /v1/keys``
lists the account's keys (ids, dates, state: never a value) and names the caller's own.
``/v1/analyze`` accepts every key that is currently valid.

Like real providers the stub keeps only a SHA-256 of each key (``.devstack/partner/keys.json``
when the stack keeps state): the value is shown once, in the issue answer. An
``Idempotency-Key`` on the issue call makes a retry answer the same key (kept in memory
only, for a retry). The value of every key issued since start-up is kept in memory for the
leak canary alone (``GET /devstack/issued-keys``, loopback, no token: a devstack route).

A key written into the vault by hand (an operator who rolled the key in the partner's
portal) is adopted when the partner next sees the vault's value: it becomes a key of the
account and every other key is revoked at once, as the portal's "roll now" would. Keys the
rotation stores were issued here, so nothing is adopted then and the grace holds.

Faults for these routes have a gate of their own (``partner-keys`` on the control plane), so
key management can fail while ``/v1/analyze`` keeps working.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.faults import FaultGate
from devstack.files import write_private

KEYS_PATH = "/v1/keys"
MAX_GRACE_SECONDS = 7 * 86400
_REMEMBERED_ISSUES = 1000


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    digest: str
    name: str
    created: int
    expires: int | None = None  # set by a revocation with a grace
    revoked: bool = False

    def valid(self, now: float) -> bool:
        return not self.revoked and (self.expires is None or now < self.expires)

    def public(self, now: float) -> dict[str, Any]:
        if self.revoked:
            status = "revoked"
        elif self.expires is None:
            status = "active"
        else:
            status = "expiring" if now < self.expires else "expired"
        return {
            "id": self.key_id,
            "name": self.name,
            "created": self.created,
            "expires": self.expires,
            "revoked": self.revoked or status == "expired",
            "status": status,
        }


class KeyRegistry:
    """The account's keys (digests only, optionally on disk) and what was done with them."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._path, self._clock = path, clock
        self._lock = threading.RLock()
        self._keys: dict[str, KeyRecord] = {}
        self._issued_values: list[str] = []
        self._replays: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.counters: Counter[str] = Counter()
        if path is not None and path.exists():
            for item in json.loads(path.read_text())["keys"]:
                record = KeyRecord(**item)
                self._keys[record.key_id] = record

    # -- what the routes and the stack use ----------------------------------------------

    def issue(
        self, *, name: str = "issued", issued_with: str | None = None
    ) -> tuple[KeyRecord, str]:
        value = "pk_" + secrets.token_urlsafe(32)
        record = KeyRecord(uuid.uuid4().hex[:16], _digest(value), name[:100], int(self._clock()))
        with self._lock:
            self._keys[record.key_id] = record
            self._issued_values.append(value)
            self.counters["issued"] += 1
            self._save()
        return record, value

    def caller(self, presented: str | None, vault_value: str | None = None) -> KeyRecord | None:
        """The valid key ``presented`` is, adopting the vault's value first if it is new."""
        with self._lock:
            if vault_value and self._find(vault_value) is None:
                self._adopt(vault_value)
            found = self._find(presented) if presented else None
            if found is None or not found.valid(self._clock()):
                self.counters["refused"] += 1
                return None
            return found

    def revoke(self, key_id: str, *, grace_seconds: int = 0) -> KeyRecord | None:
        with self._lock:
            record = self._keys.get(key_id)
            if record is None:
                return None
            now = int(self._clock())
            if grace_seconds <= 0:
                changed = replace(record, revoked=True)
            else:
                end = now + grace_seconds
                changed = replace(record, expires=min(end, record.expires or end))
            self._keys[key_id] = changed
            self.counters["revoked"] += 1
            self._save()
            return changed

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            now = self._clock()
            return [r.public(now) for r in sorted(self._keys.values(), key=lambda r: r.created)]

    def issued_values(self) -> list[str]:
        with self._lock:
            return list(self._issued_values)

    def replay(self, idempotency_key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._replays.get(idempotency_key)

    def remember(self, idempotency_key: str, answer: dict[str, Any]) -> None:
        with self._lock:
            self._replays[idempotency_key] = answer
            while len(self._replays) > _REMEMBERED_ISSUES:
                self._replays.popitem(last=False)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock()
            return {
                **{
                    n: self.counters[n]
                    for n in ("issued", "revoked", "refused", "adopted", "faults")
                },
                "valid": sum(r.valid(now) for r in self._keys.values()),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.counters.clear()

    # -- internals -------------------------------------------------------------------------

    def _find(self, value: str) -> KeyRecord | None:
        digest = _digest(value)
        return next((r for r in self._keys.values() if r.digest == digest), None)

    def _adopt(self, value: str) -> None:
        now = int(self._clock())
        for key_id, record in self._keys.items():
            if record.valid(now):
                self._keys[key_id] = replace(record, revoked=True)
        record = KeyRecord(uuid.uuid4().hex[:16], _digest(value), "set in the vault", now)
        self._keys[record.key_id] = record
        self.counters["adopted"] += 1
        self._save()

    def _save(self) -> None:
        if self._path is not None:
            document = {"keys": [asdict(r) for r in self._keys.values()]}
            write_private(self._path, json.dumps(document, indent=1).encode())


def key_routes(
    registry: KeyRegistry,
    *,
    header_name: str,
    vault_value: Callable[[], str | None],
    faults: FaultGate,
) -> list[Route]:
    """The key-management routes over ``registry``; ``vault_value`` is for adoption."""

    async def authenticated(request: Request) -> KeyRecord | Response:
        strike = faults.strike()
        if strike is not None:
            registry.counters["faults"] += 1
            if strike.plan.latency_ms:
                await asyncio.sleep(strike.plan.latency_ms / 1000)
            if strike.mode != "slow":  # a reset is answered as the plan's status here
                return strike.response()
        caller = registry.caller(request.headers.get(header_name), vault_value())
        if caller is None:
            return JSONResponse({"error": "invalid_api_key"}, status_code=401)
        return caller

    async def issue(request: Request) -> Response:
        caller = await authenticated(request)
        if isinstance(caller, Response):
            return caller
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None:
            earlier = registry.replay(idempotency_key)
            if earlier is not None:
                return JSONResponse(
                    earlier, status_code=201, headers={"Idempotent-Replayed": "true"}
                )
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("name", ""), str):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        record, value = registry.issue(name=body.get("name") or "issued")
        answer = {
            "id": record.key_id,
            "key": value,
            "name": record.name,
            "created": record.created,
            "issued_with": caller.key_id,
        }
        if idempotency_key is not None:
            registry.remember(idempotency_key, answer)
        return JSONResponse(answer, status_code=201)

    async def listing(request: Request) -> Response:
        caller = await authenticated(request)
        if isinstance(caller, Response):
            return caller
        return JSONResponse({"caller_key_id": caller.key_id, "keys": registry.listing()})

    async def revoke(request: Request) -> Response:
        caller = await authenticated(request)
        if isinstance(caller, Response):
            return caller
        raw = request.query_params.get("grace_seconds", "0")
        if not raw.isdigit() or int(raw) > MAX_GRACE_SECONDS:
            return JSONResponse(
                {"error": "invalid_request", "detail": "grace_seconds: 0-604800"}, status_code=400
            )
        if registry.revoke(request.path_params["key_id"], grace_seconds=int(raw)) is None:
            return JSONResponse({"error": "no_such_key"}, status_code=404)
        return Response(status_code=204)

    async def issued(request: Request) -> Response:
        return JSONResponse({"keys": registry.issued_values()})

    return [
        Route(KEYS_PATH, issue, methods=["POST"]),
        Route(KEYS_PATH, listing, methods=["GET"]),
        Route(KEYS_PATH + "/{key_id}", revoke, methods=["DELETE"]),
        Route("/devstack/issued-keys", issued, methods=["GET"]),
    ]
