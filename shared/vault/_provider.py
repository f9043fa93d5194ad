"""Key Vault secrets, fetched just before use and cached in memory for a short time.

``SecretProvider`` wraps a ``SecretClient`` the caller builds (the process-wide, lazily
created client lives elsewhere; nothing here creates a credential or a client).

Caching: values are kept in memory only, keyed by (vault URL, name, version), for ``ttl``
seconds (``max_age`` per call). Concurrent callers of one key share a single fetch
(single-flight), so a cold start or an expiry under load costs the vault one request, not
one per thread; different keys never wait for each other. Failures are never cached: the
next call asks the vault again.

Brief vault outages: a refresh that fails *transiently* (vault unreachable, timeout, 5xx,
429) serves the cached value if it is past its freshness limit by no more than
``stale_grace`` seconds (default: ``ttl``), and logs one warning naming the secret (never
its value). The value was valid minutes ago and the partner API will say so if it is not.
With no such value the call fails fast with ``VaultUnavailableError``. A definite answer
from the vault (not found, disabled, access denied) is never papered over: the cached value
is dropped and the specific error raised. Nor is a TLS failure (a certificate the app does
not trust, a refused handshake): waiting will not fix it, so it is raised as
``VaultTlsError`` without serving a stale value. ``force_fetch=True`` never serves stale,
because the caller has just learnt that the cached value is wrong (a partner 401 after
rotation).

A slow vault: every fetch runs on a thread of its own, and no caller waits for it longer
than a deadline. A caller holding a value within the grace waits ``stale_wait`` seconds
(default 0.5) and is then served that value *while* the refresh goes on; a caller with
nothing usable waits ``wait`` seconds (default 5) and then gets ``VaultUnavailableError``
with a ``Retry-After``; so does a caller whose value aged past the grace while it waited
(``wait`` in all). A vault that answers in 15 s, or never, therefore costs one
background thread per secret, not every request thread, and the fetch still fills the
cache when it lands. A ``Retry-After`` the vault sends is passed on capped at
:data:`MAX_RETRY_AFTER` seconds.

Errors carry safe identifiers only (secret name, vault host, HTTP status); the SDK's own
exception is chained for debugging but its text is never copied into ours.

Each :meth:`SecretProvider.get` that has to wait for the vault is a ``vault get secret``
span saying how the cache answered (``app.vault.cache``: ``miss``, or ``stale`` when a
cached value was served past its freshness limit). A value the cache holds fresh is no call
and no span: the span of the call that asked for it (``partner POST``) says
``app.vault.cache``: ``hit``. The secret's name is on either, its value never.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import urlparse

from azure.core.exceptions import AzureError

if TYPE_CHECKING:
    from azure.keyvault.secrets import SecretClient

from shared.redaction import Secret
from shared.settings import SECRET_CACHE_TTL
from shared.singleflight import Flight, FlightTimeout
from shared.tracing import Value, annotate, span
from shared.vault._failures import failure_of
from shared.vault.errors import (
    SecretDisabledError,
    SecretNotFoundError,
    VaultAccessDeniedError,
    VaultError,
    VaultUnavailableError,
)

__all__ = ["SecretProvider"]

_LOG = logging.getLogger("shared.vault")  # the package, whose modules are private

# Key Vault's own rules; checking them up front keeps names safe to put in messages.
_NAME_RE = re.compile(r"[0-9A-Za-z-]{1,127}")
_VERSION_RE = re.compile(r"[0-9A-Za-z]{1,64}")
#: The TTL of a provider built without one: the setting's default (one decision).
DEFAULT_TTL: Final = SECRET_CACHE_TTL.get({})


_Key = tuple[str, str, str]  # (vault URL, name, version or "" for latest)


@dataclass(frozen=True)
class _Entry:
    secret: Secret
    fetched_at: float
    seq: int  # which fetch produced it; a slower, older fetch never overwrites a newer value
    jitter: float = 0.0  # fraction of the freshness limit this value gives up (see ttl_jitter)


@dataclass
class _Fetch:
    """A fetch in flight: which one (``seq``), whether forced, and who waits for it."""

    seq: int
    forced: bool
    flight: Flight[_Entry] = field(default_factory=Flight)


class SecretProvider:
    """Fetches secrets from one vault with an in-memory TTL cache and single-flight.

    :param client: the ``SecretClient`` to read with (the caller owns and closes it).
    :keyword ttl: seconds a fetched value is served without asking the vault again.
    :keyword stale_grace: seconds past its freshness limit a cached value may still be
        served when a refresh fails transiently or is slow; defaults to ``ttl``; 0 disables.
    :keyword wait: the longest a caller with no usable value waits for a fetch (seconds).
    :keyword stale_wait: the longest a caller with a value within the grace waits for a
        refresh before being served that value (seconds).
    :keyword clock: monotonic time source (injectable for tests; deadlines use real time).
    :keyword ttl_jitter: each fetched value is fresh for its limit shortened by a random
        fraction between 0 and ``ttl_jitter``, drawn once when it is stored. Instances that
        filled their caches in the same seconds (a scale-out, a rotation) would otherwise
        refresh in the same seconds every ``ttl`` for as long as they run; the draw spreads
        those refreshes over ``ttl_jitter * ttl`` (docs/scale.md). Never lengthens a
        lifetime. 0, the default, disables.
    :keyword jitter_source: draws in [0, 1) for ``ttl_jitter`` (injectable for tests).
    """

    def __init__(
        self,
        client: SecretClient,
        *,
        ttl: float = DEFAULT_TTL,
        stale_grace: float | None = None,
        wait: float = 5.0,
        stale_wait: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        ttl_jitter: float = 0.0,
        jitter_source: Callable[[], float] = random.random,
    ) -> None:
        if ttl < 0 or (stale_grace is not None and stale_grace < 0):
            raise ValueError("ttl and stale_grace must not be negative")
        if wait <= 0 or stale_wait < 0:
            raise ValueError("wait must be positive and stale_wait not negative")
        if not 0 <= ttl_jitter < 1:
            raise ValueError("ttl_jitter must be a fraction in [0, 1)")
        self._jitter = ttl_jitter
        self._jitter_source = jitter_source
        self._client = client
        self._ttl = ttl
        self._grace = ttl if stale_grace is None else stale_grace
        self._wait = wait
        self._stale_wait = stale_wait
        self._clock = clock
        self._host = urlparse(client.vault_url).netloc
        self._lock = threading.Lock()
        self._entries: dict[_Key, _Entry] = {}
        self._inflight: dict[_Key, _Fetch] = {}
        self._seq = 0
        self._floor = 0  # fetches with seq <= floor started before an invalidate: not stored

    @property
    def vault_url(self) -> str:
        """The vault this provider reads from (part of every cache key)."""
        return self._client.vault_url

    def get(
        self,
        name: str,
        *,
        version: str | None = None,
        max_age: float | None = None,
        force_fetch: bool = False,
        rejected: Secret | None = None,
    ) -> Secret:
        """Return the secret ``name`` as a :class:`Secret`, from cache when fresh enough.

        :param name: the secret's name in the vault.
        :keyword version: a specific version; latest when omitted (cached separately).
        :keyword max_age: freshness limit in seconds for this call instead of ``ttl``.
        :keyword force_fetch: ignore the cache and refresh it, e.g. after the partner
            answered 401 because the key was rotated. Concurrent forced callers still share
            one fetch. Never answered from a stale value.
        :keyword rejected: with ``force_fetch``, the value the caller saw refused. If the
            cache already holds a different value (another caller refreshed it after the
            same rotation), that value is returned without a fetch: a burst of callers
            noticing one rotation costs one vault read, not one each.
        :raises SecretNotFoundError: no such secret/version (any cached value is dropped).
        :raises SecretDisabledError: the secret is disabled (any cached value is dropped).
        :raises VaultAccessDeniedError: 401/403, or no token could be obtained.
        :raises VaultUnavailableError: transient failure, or no answer within ``wait``, and
            no cached value within ``stale_grace`` of its freshness limit (or
            ``force_fetch``). Within the grace the stale value is returned instead (after
            ``stale_wait`` at most) and one warning is logged.
        :raises VaultError: any other failure.
        """
        if not _NAME_RE.fullmatch(name):
            raise ValueError("secret name must be 1-127 letters, digits or dashes")
        if version is not None and not _VERSION_RE.fullmatch(version):
            raise ValueError("secret version must be 1-64 letters or digits")
        key: _Key = (self.vault_url, name, version or "")
        fresh_for = self._ttl if max_age is None else max_age
        answer = self._fresh_or_fetch(key, fresh_for, force_fetch, rejected)
        if isinstance(answer, _Entry):
            annotate({"app.secret.name": name, "app.vault.cache": "hit"})
            return answer.secret
        attributes: dict[str, Value] = {"app.secret.name": name, "app.vault.cache": "miss"}
        with span("vault get secret", attributes=attributes):
            return self._wait_for(name, key, fresh_for, answer, force_fetch=force_fetch)

    def _wait_for(
        self,
        name: str,
        key: _Key,
        fresh_for: float,
        answer: tuple[_Fetch, bool],
        *,
        force_fetch: bool,
    ) -> Secret:
        """The fetch's value; within the grace, the stale one when the fetch fails or is late.

        A caller that held a value within the grace waits ``stale_wait``. If that value
        aged past the grace meanwhile, the caller holds nothing usable after all, and waits
        on as such a caller does, up to ``wait`` in all, rather than fail at the shorter
        deadline: under load a refresh can take longer than the grace has left.
        """
        fetch, has_stale = answer
        waited, deadline = 0.0, self._stale_wait if has_stale else self._wait
        while True:
            timed_out = False
            try:
                return fetch.flight.join(deadline - waited).secret
            except FlightTimeout:
                timed_out, problem = True, "refresh still in flight"
                failure = VaultUnavailableError(
                    f"vault {self._host} did not answer reading {name!r} within {deadline:g} s",
                    secret_name=name,
                    vault=self._host,
                    retry_after=self._wait,
                )
            except VaultUnavailableError as exc:
                detail = type(exc).__name__ if exc.status is None else f"HTTP {exc.status}"
                problem, failure = f"refresh failed ({detail})", exc
            stale = None if force_fetch else self._usable_stale(key, fresh_for)
            if stale is not None:
                break
            if timed_out and deadline < self._wait:
                waited, deadline = deadline, self._wait
                continue
            raise failure
        annotate({"app.vault.cache": "stale"})
        _LOG.warning(
            "Serving cached secret %r from %s %.0f s old: %s",
            name,
            self._host,
            self._clock() - stale.fetched_at,
            problem,
        )
        return stale.secret

    def invalidate(self, name: str | None = None) -> None:
        """Forget the cached value(s) of ``name`` (every version), or of every secret.

        A fetch already in flight still answers its callers but no longer fills the cache.
        """
        with self._lock:
            self._seq += 1
            self._floor = self._seq
            for table in (self._entries, self._inflight):
                for key in [k for k in table if name is None or k[1] == name]:
                    del table[key]

    def _fresh_or_fetch(
        self, key: _Key, fresh_for: float, force: bool, rejected: Secret | None
    ) -> _Entry | tuple[_Fetch, bool]:
        """A fresh entry, or the fetch to wait for (launched if none fits) and whether a
        value within the grace is there to fall back on."""
        with self._lock:
            entry = self._entries.get(key)
            age = None if entry is None else self._clock() - entry.fetched_at
            limit = fresh_for * (1.0 - entry.jitter) if entry is not None else 0.0
            if (
                entry is not None
                and age is not None
                and age < limit
                and (not force or (rejected is not None and entry.secret != rejected))
            ):
                return entry
            has_stale = not force and age is not None and age < fresh_for + self._grace
            fetch = self._inflight.get(key)
            # A forced caller must not join a fetch that may have started before the
            # rotation it just noticed; it joins only another forced fetch.
            if fetch is not None and (fetch.forced or not force):
                return fetch, has_stale
            self._seq += 1
            fetch = self._inflight[key] = _Fetch(self._seq, force)
        launched = fetch
        fetch.flight.launch(
            lambda: self._fetch_into_cache(key, launched), name=f"vault-fetch-{key[1]}"
        )
        return fetch, has_stale

    def _fetch_into_cache(self, key: _Key, fetch: _Fetch) -> _Entry:
        """Fetch, then settle the cache before anyone waiting on this fetch wakes up."""
        started = self._clock()
        try:
            secret = self._fetch(key)
        except BaseException as exc:
            with self._lock:
                self._land(key, fetch)
                current = self._entries.get(key)
                definite = (SecretNotFoundError, SecretDisabledError, VaultAccessDeniedError)
                if isinstance(exc, definite) and current is not None and current.seq < fetch.seq:
                    del self._entries[key]
            raise
        jitter = self._jitter * self._jitter_source() if self._jitter else 0.0
        entry = _Entry(secret, started, fetch.seq, jitter)
        with self._lock:
            self._land(key, fetch)
            current = self._entries.get(key)
            if fetch.seq > self._floor and (current is None or current.seq < fetch.seq):
                self._entries[key] = entry
        return entry

    def _land(self, key: _Key, fetch: _Fetch) -> None:
        if self._inflight.get(key) is fetch:
            del self._inflight[key]

    def _usable_stale(self, key: _Key, fresh_for: float) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self._clock() - entry.fetched_at < fresh_for + self._grace:
                return entry
            return None

    def _fetch(self, key: _Key) -> Secret:
        _, name, version = key
        try:
            # logging_enable=False per call: azure-core's NetworkTraceLoggingPolicy takes the
            # operation's option over the client's, so a client built with logging_enable=True
            # never logs this response body, which holds the value before it is registered.
            fetched = self._client.get_secret(name, version or None, logging_enable=False)
        except AzureError as exc:
            raise failure_of(exc, name, self._host) from exc
        if fetched.value is None:
            raise VaultError(
                f"secret {name!r} in {self._host} has no value", secret_name=name, vault=self._host
            )
        _LOG.debug("Fetched secret %r from %s", name, self._host)
        return Secret(fetched.value, name=name)
