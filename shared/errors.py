"""The exceptions of the vault and outbound modules, importable without their SDKs.

The HTTP functions catch these; keeping them apart from the Key Vault SDK and
requests lets the function app be indexed without importing either (cold
start), while the modules that raise them import them from here. Every
message is scrubbed and carries safe identifiers only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.redaction import scrub

__all__ = [
    "KeyPlacementError",
    "OutboundError",
    "OutboundTlsError",
    "PartnerAnswerError",
    "PartnerAuthError",
    "PartnerKeyError",
    "PartnerRejectedError",
    "PartnerUnavailableError",
    "SecretDisabledError",
    "SecretNotFoundError",
    "VaultAccessDeniedError",
    "VaultError",
    "VaultTlsError",
    "VaultUnavailableError",
    "host_and_port",
]


def host_and_port(netloc: str, *, default_port: int = 443) -> str:
    """``host:port`` of a URL's network location, the port spelt out even when default."""
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or netloc
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{port or default_port}"


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


class OutboundError(Exception):
    """Base class for failures calling a partner; the message is always scrubbed.

    ``endpoint`` is the partner's ``host:port``, set by the client for log lines.
    """

    def __init__(
        self, message: str, *, status: int | None = None, endpoint: str | None = None
    ) -> None:
        super().__init__(scrub(message))
        self.status = status
        self.endpoint = endpoint


class PartnerUnavailableError(OutboundError):
    """Transient: unreachable, timed out, or 429/5xx after the retries were spent."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class OutboundTlsError(OutboundError):
    """No trusted TLS connection to the partner; nothing was sent."""


class PartnerAnswerError(OutboundError):
    """The partner answered 2xx with something the app does not accept: too large, not
    JSON, compressed, outside the answer's allow-list, or holding a registered secret."""


class PartnerKeyError(OutboundError):
    """The key the vault holds cannot be used (too short, or not visible ASCII): a
    configuration error, found before anything was sent."""


class PartnerAuthError(OutboundError):
    """The partner refused the key twice, the second time with a freshly fetched one."""


class PartnerRejectedError(OutboundError):
    """The partner rejected the request itself (a 4xx other than 401/403/429, or a 3xx)."""


class KeyPlacementError(ValueError):
    """The key would be sent somewhere other than its one header (URL, body, other header)."""
