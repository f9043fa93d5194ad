"""The partner's key-management API: issue a key, list keys, revoke one (with a grace).

Dual-key rotation as partner APIs offer it: a new key is issued while the old one keeps
working; the old one is then revoked with a grace, after which the partner refuses it.
Every call is authenticated with a key the partner currently accepts, in the same one
header as the data API (:class:`shared.outbound.OutboundClient` places it, retries
transient failures and never follows a redirect). The issued key is wrapped in a
:class:`~shared.redaction.Secret` the moment it is read from the answer; ids and dates
are all this module returns in the clear.

Routes, relative to ``PARTNER_API_URL``: ``POST keys`` (``Idempotency-Key`` makes a
retried issue answer the same key), ``GET keys``, ``DELETE keys/{id}?grace_seconds=N``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.outbound import OutboundClient, OutboundError, PartnerRejectedError
from shared.redaction import Secret
from shared.rotation.errors import KeyManagementError
from shared.tracing import traced

_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    key: Secret
    issued_with: str | None  # the id of the key that authenticated the issue call


@dataclass(frozen=True, slots=True)
class PartnerKey:
    key_id: str
    created: datetime | None
    expires: datetime | None
    revoked: bool

    @property
    def active(self) -> bool:
        """Valid with no end set: neither revoked nor given a grace yet."""
        return not self.revoked and self.expires is None


class PartnerKeysClient:
    """Key management at the partner; each call authenticates with the key it is given and
    waits as a partner call of the app does (the ``PARTNER_*_SECONDS`` settings)."""

    def __init__(
        self,
        base_url: str,
        *,
        header_name: str,
        connect_timeout: float,
        read_timeout: float,
        deadline: float,
        secret_name: str = "partner-api-key",  # noqa: S107 - a name
    ) -> None:
        self._base_url = base_url
        self._header = header_name
        self._timeouts = (connect_timeout, read_timeout)
        self._deadline = deadline
        self._secret_name = secret_name

    @traced("partner issue key")
    def issue(self, current: Secret, *, idempotency_key: str, label: str) -> IssuedKey:
        answer = self._call(current, "POST", "keys", json={"name": label}, key=idempotency_key)
        key_id = _key_id(answer.get("id"))
        value = answer.get("key")
        if not isinstance(value, str) or not value:
            raise KeyManagementError(f"the partner issued key {key_id} without a value")
        issued_with = answer.get("issued_with")
        return IssuedKey(
            key_id=key_id,
            key=Secret(value, name=self._secret_name),
            issued_with=_key_id(issued_with) if issued_with is not None else None,
        )

    @traced("partner list keys")
    def list(self, current: Secret) -> tuple[str | None, list[PartnerKey]]:
        """(the id of ``current``, every key the account holds)."""
        answer = self._call(current, "GET", "keys")
        items = answer.get("keys")
        if not isinstance(items, list):
            raise KeyManagementError("the partner's key list has no keys array")
        caller = answer.get("caller_key_id")
        keys = [
            PartnerKey(
                key_id=_key_id(item.get("id")),
                created=_when(item.get("created")),
                expires=_when(item.get("expires")),
                revoked=bool(item.get("revoked")),
            )
            for item in items
            if isinstance(item, dict)
        ]
        return (_key_id(caller) if caller is not None else None), keys

    @traced("partner revoke key")
    def revoke(self, key_id: str, current: Secret, *, grace_seconds: float) -> bool:
        """Revoke ``key_id`` after ``grace_seconds``; False when the partner knows no such key."""
        path = f"keys/{_key_id(key_id)}?grace_seconds={max(0, round(grace_seconds))}"
        try:
            self._call(current, "DELETE", path)
        except KeyManagementError as exc:
            if isinstance(exc.__cause__, PartnerRejectedError) and exc.__cause__.status == 404:
                return False
            raise
        return True

    def _call(
        self,
        current: Secret,
        method: str,
        path: str,
        *,
        json: Any = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        client = OutboundClient(
            self._base_url,
            key_provider=lambda **_: current,
            header_name=self._header,
            connect_timeout=self._timeouts[0],
            read_timeout=self._timeouts[1],
            deadline=self._deadline,
        )
        try:
            with client, client.request(method, path, json=json, idempotency_key=key) as response:
                if not response.content:
                    return {}
                try:
                    answer = response.json()
                except ValueError:
                    answer = None
        except OutboundError as exc:
            raise KeyManagementError(f"partner key management: {exc}") from exc
        if not isinstance(answer, dict):
            raise KeyManagementError(f"partner key management: {method} {path} answered no object")
        return answer


def _key_id(value: object) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise KeyManagementError("the partner named a key with an invalid id")
    return value


def _when(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None
