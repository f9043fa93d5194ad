"""The vault provider's exceptions, importable without the Key Vault SDK.

The HTTP functions catch these; keeping them apart from the SDK lets the function app be
indexed without importing it (cold start), while the provider that raises them imports
them from here. Every message is scrubbed and carries safe identifiers only (a secret's
name, the vault's host, an HTTP status).
"""

from __future__ import annotations

from shared.net import host_and_port
from shared.redaction import scrub

__all__ = [
    "SecretDisabledError",
    "SecretNotFoundError",
    "VaultAccessDeniedError",
    "VaultError",
    "VaultTlsError",
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

    @property
    def endpoint(self) -> str | None:
        """The vault's ``host:port`` (for log lines), when known."""
        return None if self.vault is None else host_and_port(self.vault)


class SecretNotFoundError(VaultError):
    """The vault has no such secret (or no such version)."""


class SecretDisabledError(VaultError):
    """The secret exists but is disabled: somebody switched it off on purpose."""


class VaultAccessDeniedError(VaultError):
    """The app's identity was refused (401/403) or could not obtain a token at all."""


class VaultTlsError(VaultError):
    """No trusted TLS connection to the vault (an unknown CA, a wrong name, a refused
    handshake): a configuration or network problem that waiting will not fix."""


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
