"""What a rule may look at: the environment, a credential, the clock, shared sources.

Rules never read ``os.environ`` or build a credential themselves; they ask the
context. That keeps them honest in tests (an explicit environment mapping against a
real running stack) and lets one run share expensive facts: the vault listing or a
Resource Graph query is fetched once, by whichever rule asks first, and every other
rule that needs it waits for the same answer (or the same error).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from shared.settings import Setting, SettingsError
from shared.singleflight import SingleFlight

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

T = TypeVar("T")

#: Present in every App Service / Functions process in Azure, absent elsewhere.
AZURE_MARKERS: Final = ("WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID")
#: Seconds for one network call of a source; a rule's budget bounds the total.
DEFAULT_NETWORK_TIMEOUT: Final = 10.0
FINGERPRINT_CHARS: Final = 12


class CheckContext:
    """Inputs of one posture run.

    :keyword env: the environment the rules judge (default: a copy of ``os.environ``).
    :keyword credential: the identity the sources use (default: the process-wide
        ``DefaultAzureCredential`` from :mod:`shared.identity`, created on first use).
    :keyword now: the run's clock (injectable for tests).
    :keyword client_options: extra keyword options for every SDK client and Graph call,
        e.g. ``connection_verify`` for a private CA.
    :keyword network_timeout: seconds for one network call.
    :keyword managed_identity: builds the credential of a managed identity by client id (None:
        the system-assigned one), for connections the host would authenticate with an explicit
        identity (``<conn>__credential=managedidentity``); default: ``ManagedIdentityCredential``.
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        credential: TokenCredential | None = None,
        now: datetime | None = None,
        client_options: Mapping[str, Any] | None = None,
        network_timeout: float = DEFAULT_NETWORK_TIMEOUT,
        managed_identity: Callable[[str | None], TokenCredential] | None = None,
    ) -> None:
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.now = now or datetime.now(UTC)
        self.client_options: dict[str, Any] = dict(client_options or {})
        self.network_timeout = network_timeout
        self._credential = credential
        self._managed_identity = managed_identity
        self._memo: SingleFlight[str, Any] = SingleFlight(keep=True)
        # The key of this run's fingerprints: random, held in memory, never written anywhere.
        self._fingerprint_key = secrets.token_bytes(32)

    def fingerprint(self, value: str) -> str:
        """A keyed digest of ``value`` (HMAC-SHA256, truncated): tells two findings of one run
        apart and matches a secret found twice in it, while a reader of the report, who never
        holds the run's key, cannot test a guessed secret against it offline."""
        digest = hmac.new(
            self._fingerprint_key, value.encode("utf-8", "surrogatepass"), hashlib.sha256
        )
        return digest.hexdigest()[:FINGERPRINT_CHARS]

    # -- configuration ---------------------------------------------------------------

    @property
    def in_azure(self) -> bool:
        """True inside App Service / Functions in Azure (the platform sets the markers)."""
        return any(self.env.get(name) for name in AZURE_MARKERS)

    def setting(self, name: str, default: str | None = None) -> str | None:
        """A setting's value, stripped; ``default`` when unset or blank."""
        value = (self.env.get(name) or "").strip()
        return value or default

    def value(self, setting: Setting[T]) -> T | None:
        """A declared setting, parsed as the app parses it (:mod:`shared.settings`); None
        when it is unset and has no default. :class:`SettingsError` names a malformed one."""
        return setting.read(self.env)

    def configured(self, setting: Setting[Any]) -> bool:
        """Whether ``setting`` holds a value; a malformed one counts (its rules say why)."""
        try:
            return bool(setting.read(self.env))
        except SettingsError:
            return True

    # -- identity ----------------------------------------------------------------------

    @property
    def credential(self) -> TokenCredential:
        if self._credential is None:
            from shared.identity import get_credential

            self._credential = get_credential()
        return self._credential

    def credential_for(self, connection: str) -> TokenCredential:
        """The credential the Functions host would use for ``connection``.

        ``<conn>__credential=managedidentity`` (+ ``__clientId``) selects a managed
        identity explicitly, as the host does in Azure; otherwise the app's credential.
        """
        kind = (self.setting(f"{connection}__credential") or "").lower()
        if kind != "managedidentity":
            return self.credential
        client_id = self.setting(f"{connection}__clientId")

        def build() -> TokenCredential:
            if self._managed_identity is not None:
                return self._managed_identity(client_id)
            from azure.identity import ManagedIdentityCredential

            return ManagedIdentityCredential(client_id=client_id)

        return self.memo(f"credential:{client_id or 'system'}", build)

    # -- shared sources -------------------------------------------------------------------

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per run; concurrent and later callers share its result or error."""
        result: T = self._memo.run(key, build)
        return result
