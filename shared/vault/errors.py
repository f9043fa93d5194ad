"""The vault provider's exceptions, importable without the Key Vault SDK.

Kept apart from the SDK so that catching them costs no SDK import. Every message is
scrubbed and carries safe identifiers only (a secret's name, the vault's host, an HTTP
status); what each means for a caller is on its class (:class:`shared.errors.AppError`).
"""

from __future__ import annotations

from shared.errors import AppError
from shared.net import host_and_port
from shared.redaction import scrub


class VaultError(AppError):
    """Base class: a secret could not be obtained. Carries safe identifiers only.

    ``status`` is the vault's HTTP status, when it answered; ``retry_after`` its hint.
    """

    code = "vault_error"
    http_status = 502
    caller_message = "Key Vault failed the request"

    def __init__(
        self,
        message: str,
        *,
        secret_name: str | None = None,
        vault: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(scrub(message))
        self.secret_name = secret_name
        self.vault = vault
        self.status = status
        self.retry_after = retry_after

    @property
    def endpoint(self) -> str | None:
        """The vault's ``host:port`` (for log lines), when known."""
        return None if self.vault is None else host_and_port(self.vault)


class SecretNotFoundError(VaultError):
    """The vault has no such secret (or no such version): an operator must store it."""

    code = "vault_secret_missing"
    http_status = 500
    caller_message = "the partner key is missing from Key Vault"


class SecretDisabledError(VaultError):
    """The secret exists but is disabled: somebody switched it off on purpose."""

    code = "vault_secret_disabled"
    http_status = 500
    caller_message = "the partner key is disabled in Key Vault"


class VaultAccessDeniedError(VaultError):
    """The app's identity was refused (401/403) or could not obtain a token at all: the
    deployment's roles or identity are wrong, and an operator must act."""

    code = "vault_access_denied"
    http_status = 500
    caller_message = "Key Vault denied the app's identity access to the partner key"


class VaultTlsError(VaultError):
    """No trusted TLS connection to the vault (an unknown CA, a wrong name, a refused
    handshake): a configuration or network problem that waiting will not fix."""

    code = "tls_failure"
    caller_message = "no trusted TLS connection to Key Vault"


class VaultUnavailableError(VaultError):
    """Transient: the vault could not be reached, timed out, failed (5xx) or throttled (429)."""

    code = "dependency_unavailable"
    http_status = 503
    transient = True
    caller_message = "a dependency is unavailable; retry later"
