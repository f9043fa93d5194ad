"""Caller tokens verified lately, answered again without a second verification.

A caller sends the same token with every request for as long as it lives (MSAL and
azure-identity cache it; an Entra access token lives 60 to 90 minutes), and verifying it
(the parse, the RS256 signature, the claims) was the largest part of what the submit
handler adds to the calls it makes (P4, docs/performance.md). A token that passed is
remembered by its SHA-256 digest (the token itself is not kept) with the caller it proved;
the same token within ``hold`` seconds, and before it expires (with the leeway the check
allows), proves the same caller. Nothing of its verdict can change in that time but one
thing: the issuer may withdraw the key that signed it, which the verifier's own key set
(kept up to an hour, ``KEY_SET_LIFESPAN``) would not notice sooner than ``hold`` (five
minutes) does. A refused token is never remembered: each try is verified afresh. Past
``limit`` tokens the memory starts afresh, so a flood of distinct tokens costs what it
cost before and no more memory.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import NamedTuple

from shared.callers._principal import Principal

__all__ = ["VerifiedTokens"]


class _Verified(NamedTuple):
    principal: Principal
    until: float  # epoch seconds: the token's expiry plus the leeway, or the hold, first


class VerifiedTokens:
    """Digest of a verified token -> the caller it proved, until its expiry or ``hold``."""

    __slots__ = ("_clock", "_hold", "_leeway", "_limit", "_verified")

    def __init__(
        self,
        *,
        leeway: float,
        hold: float = 300.0,
        limit: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._leeway, self._hold, self._limit, self._clock = leeway, hold, limit, clock
        self._verified: dict[bytes, _Verified] = {}

    def get(self, token: str) -> Principal | None:
        """The caller ``token`` proved, if it was verified lately and has not expired."""
        found = self._verified.get(_digest(token))
        if found is None or self._clock() > found.until:
            return None
        return found.principal

    def put(self, token: str, principal: Principal, *, expires: float) -> None:
        """Remember that ``token`` (valid until ``expires``, epoch seconds) proved ``principal``."""
        verified = self._verified
        if len(verified) >= self._limit:
            verified = self._verified = {}
        until = min(expires + self._leeway, self._clock() + self._hold)
        verified[_digest(token)] = _Verified(principal, until)

    def __repr__(self) -> str:
        return f"<{len(self._verified)} verified caller token(s), by digest>"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
