"""The dual-key rotation of the partner key, idempotent and failure-safe.

Under the lease (:mod:`shared.rotation._guard`), a rotation:

1. reads the vault's current version of the secret, then settles what earlier runs left:
   keys of superseded versions still active at the partner are revoked with the grace,
   and a key issued by a run that could not tell whether its vault write landed is
   revoked at once if no version holds it;
2. decides whether a rotation is due: the current version expires within
   ``ROTATION_WINDOW_DAYS`` (or has no expiry), and an event's version is still the
   current one (a duplicate or late event for a version already replaced is a no-op);
3. asks the partner for a new key, authenticated with the current one; the issue call
   carries an ``Idempotency-Key`` of its own, so a retry after a lost answer gets the same
   key, not a second one (a later run never reuses it: that key may be revoked by then);
4. renews the lease (lost: revoke the new key and stop), then stores the new key as a new
   version with an expiry and tags (partner key id, rotated-at, rotated-by);
5. revokes the old key at the partner with the grace (``ROTATION_GRACE_SECONDS``, more
   than the app's cache TTL plus clock skew): every instance refetches within its TTL, or
   at its first 401, long before the partner stops taking the old key.

Failures leave the old key in use: the partner refusing to issue changes nothing; a vault
write that fails is checked (it may have landed), and the new key is revoked when it did
not, or remembered (by id) for the next run when that cannot be told. Each failure, of
whatever kind (a damaged state blob included), is logged as an error, recorded in the state
the posture checker reads, and raised so the queue message (or the next timer) tries
again. The key is never logged, returned or
written anywhere but the vault.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from azure.core.exceptions import AzureError, HttpResponseError

from shared.redaction import Secret
from shared.rotation._config import RotationConfig
from shared.rotation._events import SecretEvent
from shared.rotation._guard import LeaseGuard
from shared.rotation._partnerkeys import IssuedKey, PartnerKeysClient
from shared.rotation._state import MAX_TEXT, RotationState, StateStore
from shared.rotation.errors import RotationError, StateDamagedError, VaultWriteError
from shared.tracing import annotate, span, traced

if TYPE_CHECKING:
    from azure.keyvault.secrets import KeyVaultSecret, SecretClient

logger = logging.getLogger("app.rotation")

TAG_KEY_ID = "partner-key-id"
TAG_ROTATED_AT = "rotated-at"
TAG_ROTATED_BY = "rotated-by"
CONTENT_TYPE = "partner-api-key"


@dataclass(frozen=True, slots=True)
class Trigger:
    """What started a rotation: ``event`` (with the event), ``timer`` or ``manual``."""

    source: str
    event: SecretEvent | None = None

    def describe(self) -> str:
        if self.event is None:
            return self.source
        return f"{self.event.event_type.rsplit('.', 1)[-1]} for version {self.event.version}"


@dataclass(frozen=True, slots=True)
class Outcome:
    rotated: bool
    reason: str
    version: str | None = None
    key_id: str | None = None


class Rotator:
    """Rotates one secret; one per process, safe to call from several threads at once."""

    def __init__(
        self,
        *,
        config: RotationConfig,
        vault: SecretClient,
        partner: PartnerKeysClient,
        guard: Callable[[], LeaseGuard],
        state: StateStore,
        rotated_by: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._vault = vault
        self._partner = partner
        self._guard = guard
        self._state = state
        self._rotated_by = rotated_by
        self._clock = clock

    @traced("rotation", root=True)
    def rotate(self, trigger: Trigger) -> Outcome:
        """Rotate if due. :raises RotationError: an ``AzureError`` or anything else; the old
        key stays, and whatever it was is recorded as the rotation's failure (a damaged
        state blob, a ``TypeError`` from data nobody expected: no failure is silent)."""
        annotate({"app.rotation.trigger": trigger.source})
        try:
            with self._guard() as guard:
                outcome = self._locked(trigger, guard)
                annotate({"app.rotation.rotated": outcome.rotated})
                return outcome
        except Exception as exc:
            self._failed(trigger, exc)
            raise

    # -- under the lease ----------------------------------------------------------------

    def _locked(self, trigger: Trigger, guard: LeaseGuard) -> Outcome:
        name = self._config.secret_name
        with span("rotation read current version"):
            current = self._vault.get_secret(name)
        version = current.properties.version or ""
        state = self._state.read()
        old = Secret(current.value or "", name=name)
        self._settle(current, old, state)
        now = self._clock()
        due, why = self._due(current, trigger, now)
        if not due:
            state.last_checked_at = now.isoformat()
            state.next_due = _next_due(current, self._config)
            self._save(state)
            logger.info("rotation of %r (%s): not due, %s", name, trigger.describe(), why)
            return Outcome(False, why, version)
        # One key per run: retries of this call (a lost answer) get the same key back; a
        # later run never does, as an earlier run's key may have been revoked since.
        attempt = f"rotate-{name}-{version}-{uuid.uuid4().hex[:12]}"
        issued = self._partner.issue(old, idempotency_key=attempt, label=f"{name} rotation")
        try:
            guard.renew()
        except (RotationError, AzureError):
            self._revoke_orphan(issued, old, "the lease was lost before the vault write")
            raise
        stored = self._store(issued, old, trigger, now, state)
        old_id = (current.properties.tags or {}).get(TAG_KEY_ID) or issued.issued_with
        state.last_rotation_at = now.isoformat()
        state.last_rotated_by = f"{self._rotated_by} ({trigger.describe()})"
        state.last_version, state.last_key_id = stored.properties.version, issued.key_id
        state.next_due = _next_due(stored, self._config)
        state.failures_since_rotation = 0
        self._save(state)
        logger.info(
            "rotated %r: version %s (partner key %s) replaces %s (%s)",
            name,
            stored.properties.version,
            issued.key_id,
            version,
            trigger.describe(),
        )
        if old_id and old_id != issued.key_id:
            self._revoke_old(old_id, issued.key)
        return Outcome(True, "rotated", stored.properties.version, issued.key_id)

    def _due(self, current: KeyVaultSecret, trigger: Trigger, now: datetime) -> tuple[bool, str]:
        version = current.properties.version
        event = trigger.event
        if event is not None and event.version != version:
            return False, f"the event is about version {event.version}, now replaced by {version}"
        expires = current.properties.expires_on
        if expires is None:
            return True, "the current version never expires"
        left = expires - now
        if left <= timedelta(days=self._config.window_days):
            return True, f"the current version expires in {left.total_seconds() / 86400:.1f} days"
        return False, f"the current version expires in {left.days} days"

    @traced("rotation store new version")
    def _store(
        self,
        issued: IssuedKey,
        old: Secret,
        trigger: Trigger,
        now: datetime,
        state: RotationState,
    ) -> KeyVaultSecret:
        name = self._config.secret_name
        tags = {
            TAG_KEY_ID: issued.key_id,
            TAG_ROTATED_AT: now.isoformat(timespec="seconds"),
            TAG_ROTATED_BY: f"{self._rotated_by}:{trigger.source}"[:256],
        }
        try:
            return self._vault.set_secret(
                name,
                issued.key.reveal(),  # the one place the new key goes: the vault
                expires_on=now + timedelta(days=self._config.lifetime_days),
                content_type=CONTENT_TYPE,
                tags=tags,
            )
        except AzureError as exc:
            cause = _describe(exc)
        known, landed = self._holds(issued.key_id)
        if landed is not None:
            return landed  # the write landed; its answer was what got lost
        if known:
            self._revoke_orphan(issued, old, f"the vault refused the new version ({cause})")
        else:
            state.unconfirmed_keys = sorted({*state.unconfirmed_keys, issued.key_id})
            self._save(state)
            logger.error(
                "rotation of %r: the vault write failed (%s) and could not be checked; partner "
                "key %s is revoked by the next run unless the vault holds it",
                name,
                cause,
                issued.key_id,
            )
        raise VaultWriteError(f"storing the new version of {name!r} failed ({cause})")

    def _holds(self, key_id: str) -> tuple[bool, KeyVaultSecret | None]:
        """(whether the vault answered, its current version if that holds ``key_id``)."""
        try:
            latest = self._vault.get_secret(self._config.secret_name)
        except AzureError:
            return False, None
        holds = (latest.properties.tags or {}).get(TAG_KEY_ID) == key_id
        return True, latest if holds else None

    # -- what earlier runs left ---------------------------------------------------------

    @traced("rotation settle earlier runs")
    def _settle(self, current: KeyVaultSecret, key: Secret, state: RotationState) -> None:
        name = self._config.secret_name
        current_id = (current.properties.tags or {}).get(TAG_KEY_ID)
        superseded = {
            tag
            for props in self._vault.list_properties_of_secret_versions(name)
            if props.version != current.properties.version
            and (tag := (props.tags or {}).get(TAG_KEY_ID))
        }
        orphans = set(state.unconfirmed_keys) - superseded - {current_id}
        if not superseded and not orphans:
            return
        caller_id, keys = self._partner.list(key)
        for partner_key in keys:
            if partner_key.key_id in (caller_id, current_id) or not partner_key.active:
                continue
            if partner_key.key_id in orphans:
                self._partner.revoke(partner_key.key_id, key, grace_seconds=0)
                logger.warning("revoked partner key %s: no version holds it", partner_key.key_id)
            elif partner_key.key_id in superseded:
                self._revoke_old(partner_key.key_id, key)
        if state.unconfirmed_keys:
            state.unconfirmed_keys = []
            self._save(state)

    @traced("rotation revoke old key")
    def _revoke_old(self, key_id: str, current: Secret) -> None:
        grace = self._config.grace_seconds
        try:
            self._partner.revoke(key_id, current, grace_seconds=grace)
        except RotationError as exc:  # the next run revokes it (see _settle)
            logger.warning("partner key %s not revoked yet (%s); retried next run", key_id, exc)
            return
        logger.info("partner key %s revoked with a grace of %.0f s", key_id, grace)

    @traced("rotation revoke orphan key")
    def _revoke_orphan(self, issued: IssuedKey, old: Secret, why: str) -> None:
        try:
            self._partner.revoke(issued.key_id, old, grace_seconds=0)
        except RotationError as exc:
            logger.error(
                "%s; revoking partner key %s also failed (%s): revoke it at the partner",
                why,
                issued.key_id,
                exc,
            )
            return
        logger.error("%s; partner key %s revoked, the old key stays in use", why, issued.key_id)

    # -- bookkeeping ----------------------------------------------------------------------

    def _failed(self, trigger: Trigger, exc: BaseException) -> None:
        cause = _describe(exc)
        logger.error(
            "rotation of %r (%s) failed: %s; the current key stays in use",
            self._config.secret_name,
            trigger.describe(),
            cause,
        )
        try:
            try:
                state = self._state.read()
            except StateDamagedError:  # recorded on what was valid of it: the damage is `cause`
                state = self._state.salvage()
            state.last_failure_at = self._clock().isoformat()
            state.last_failure = cause[:MAX_TEXT]
            state.failures_since_rotation += 1
            self._state.write(state)
        except Exception as write_error:  # never hide the failure being recorded
            logger.warning("the rotation state could not be updated (%s)", _describe(write_error))

    def _save(self, state: RotationState) -> None:
        try:
            self._state.write(state)
        except AzureError as exc:
            logger.warning("the rotation state could not be written (%s)", _describe(exc))


def _next_due(secret: KeyVaultSecret, config: RotationConfig) -> str | None:
    expires = secret.properties.expires_on
    if expires is None:
        return None
    return (expires - timedelta(days=config.window_days)).isoformat()


def _describe(exc: BaseException) -> str:
    """A failure named safely: our own message, or the SDK's class and HTTP status only."""
    if isinstance(exc, RotationError):
        return f"{type(exc).__name__}: {exc}"
    status = exc.status_code if isinstance(exc, HttpResponseError) else None
    return type(exc).__name__ + (f" (HTTP {status})" if status else "")
