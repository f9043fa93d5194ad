"""User delegation keys Azurite issued to a bearer caller: the only SAS the front lets through.

In Azure a user delegation SAS is signed with a key that only a caller holding an Entra
token can get (Get User Delegation Key) and that Azure keeps secret, so such a SAS proves a
token holder made it; Azure permits it on an account with ``allowSharedKeyAccess`` false.
Azurite 3.35.0 checks the signature of a SAS that carries ``skoid`` (and ``sktid``, ``skt``,
``ske``, ``sks=b``, ``skv``) against a key it *derives* from those six values
(``dist/src/blob/authentication/BlobSASAuthenticator.js``, the user-delegation branch;
``dist/src/blob/utils/utils.js``, ``getUserDelegationKeyValue``: an HMAC-SHA256 of them under
a constant in its source), and issues the same derived value from Get User Delegation Key
(``dist/src/blob/handlers/ServiceHandler.js``, ``getUserDelegationKey``, with ``oid`` and
``tid`` of the caller's token). So Azurite accepts a delegation SAS for a key nobody was ever
issued: anyone can derive it.

The front therefore checks what Azurite cannot: that the key the SAS names was issued. It
reads each answer Azurite gives to a Get User Delegation Key request made with a bearer token
(:func:`issued_key`), remembers the key's six values until the key expires
(:class:`IssuedKeys`), and lets a SAS through only when it names such a key
(:func:`delegated_key`); Azurite then checks its signature with that key. What remains, and
is said in docs/devstack.md: whoever reads a genuine delegation SAS sees its six values and
could derive the key from Azurite's constant, to sign another SAS under it until it expires.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from devstack.storagefront.azuritequery import single

__all__ = ["DELEGATION_PARAMETERS", "DelegationKey", "IssuedKeys", "delegated_key", "issued_key"]

#: The SAS parameters that name a user delegation key, in Azure's order.
DELEGATION_PARAMETERS: Final = ("skoid", "sktid", "skt", "ske", "sks", "skv")
#: Keys remembered at most (the oldest go first); one per caller and validity window.
MAX_KEYS: Final = 10_000
_ELEMENTS: Final = ("SignedOid", "SignedTid", "SignedStart", "SignedExpiry", "SignedService",
                    "SignedVersion")  # fmt: skip


@dataclass(frozen=True, slots=True)
class DelegationKey:
    """The six values that name a user delegation key (its value is derived from them)."""

    oid: str
    tid: str
    start: str
    expiry: str
    service: str
    version: str

    def expired(self, now: dt.datetime) -> bool:
        try:
            expiry = dt.datetime.fromisoformat(self.expiry.replace("Z", "+00:00"))
        except ValueError:
            return False  # kept until pushed out by newer keys
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=dt.UTC)
        return expiry <= now


def issued_key(body: bytes) -> DelegationKey | None:
    """The key in Azurite's ``UserDelegationKey`` answer, or None for any other body."""
    text = body.decode("utf-8", errors="replace")
    values = []
    for element in _ELEMENTS:
        found = re.search(f"<{element}>([^<]{{1,256}})</{element}>", text)
        if found is None:
            return None
        values.append(found.group(1))
    return DelegationKey(*values)


def delegated_key(params: dict[str, list[str | None]]) -> DelegationKey | None:
    """The key a SAS names, read as Azurite reads it; None unless all six parameters are
    there, once each, as plain values."""
    values = [single(params, name) for name in DELEGATION_PARAMETERS]
    if any(value is None for value in values):
        return None
    return DelegationKey(*(value or "" for value in values))


class IssuedKeys:
    """The delegation keys Azurite issued to bearer callers through the front; thread-safe."""

    def __init__(self) -> None:
        self._keys: OrderedDict[DelegationKey, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: DelegationKey) -> None:
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)

    def holds(self, key: DelegationKey, *, now: dt.datetime | None = None) -> bool:
        """Whether ``key`` was issued and has not expired (expired keys are forgotten)."""
        at = now or dt.datetime.now(dt.UTC)
        with self._lock:
            for stale in [k for k in self._keys if k.expired(at)]:
                del self._keys[stale]
            return key in self._keys
