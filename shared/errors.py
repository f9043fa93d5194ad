"""The exceptions of the vault and outbound modules, importable without their SDKs.

The HTTP functions catch these; keeping them apart from the Key Vault SDK and
requests lets the function app be indexed without importing either (cold
start), while the modules that raise them import them from here. Every
message is scrubbed and carries safe identifiers only.
"""

from __future__ import annotations

from shared.redaction import scrub

__all__ = [
    "KeyPlacementError",
    "OutboundError",
    "PartnerAuthError",
    "PartnerRejectedError",
    "PartnerUnavailableError",
    "SecretDisabledError",
    "SecretNotFoundError",
    "VaultAccessDeniedError",
    "VaultError",
    "VaultUnavailableError",
]


class VaultError(Exception):
    """Base class: a secret could not be obtained. Carries safe identifiers only."""

    def __init__(
        self,
        message: str,
        *,
        secret_name: str | None = None,
        vault: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(scrub(message))
        self.secret_name = secret_name
        self.vault = vault
        self.status = status


class SecretNotFoundError(VaultError):
    """The vault has no such secret (or no such version)."""


class SecretDisabledError(VaultError):
    """The secret exists but is disabled: somebody switched it off on purpose."""


class VaultAccessDeniedError(VaultError):
    """The app's identity was refused (401/403) or could not obtain a token at all."""


class VaultUnavailableError(VaultError):
    """Transient: the vault could not be reached, timed out, failed (5xx) or throttled (429)."""

    def __init__(
        self,
        message: str,
        *,
        secret_name: str | None = None,
        vault: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, secret_name=secret_name, vault=vault, status=status)
        self.retry_after = retry_after


class OutboundError(Exception):
    """Base class for failures calling a partner; the message is always scrubbed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(scrub(message))
        self.status = status


class PartnerUnavailableError(OutboundError):
    """Transient: unreachable, timed out, or 429/5xx after the retries were spent."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PartnerAuthError(OutboundError):
    """The partner refused the key twice, the second time with a freshly fetched one."""


class PartnerRejectedError(OutboundError):
    """The partner rejected the request itself (a 4xx other than 401/403/429, or a 3xx)."""


class KeyPlacementError(ValueError):
    """The key would be sent somewhere other than its one header (URL, body, other header)."""
