"""What a failed vault read is called: one of :mod:`shared.vault.errors`.

The provider fetches; this module names what went wrong, from the SDK's exception, keeping
only safe identifiers (the secret's name, the vault's host, an HTTP status, the service's
error code, a TLS reason) and never the SDK's text. Whether a failure is transient decides
whether a cached value may be served through it (:mod:`shared.vault._provider`).
"""

from __future__ import annotations

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared.net import parse_retry_after, tls_failure
from shared.vault.errors import (
    SecretDisabledError,
    SecretNotFoundError,
    VaultAccessDeniedError,
    VaultError,
    VaultTlsError,
    VaultUnavailableError,
)

__all__ = ["MAX_RETRY_AFTER", "failure_of"]

_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: The longest ``Retry-After`` passed on to callers: a throttled vault may ask for a day,
#: while the cached value, or the next fetch, may well be there in a minute.
MAX_RETRY_AFTER = 60.0


def failure_of(exc: AzureError, name: str, host: str) -> VaultError:
    """Map an SDK exception to ours, keeping only the status and the service's error code."""
    if isinstance(exc, ResourceNotFoundError):
        message = f"secret {name!r} not found in {host}"
        return SecretNotFoundError(message, secret_name=name, vault=host, status=404)
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        return _translate_status(exc, exc.status_code, name, host)
    if isinstance(exc, ClientAuthenticationError):
        # No HTTP status: the credential itself could not produce a token. That is an
        # identity configuration problem, not a vault outage, so no stale value is served.
        message = f"no token for vault {host} to read {name!r} ({type(exc).__name__})"
        return VaultAccessDeniedError(message, secret_name=name, vault=host)
    tls = tls_failure(exc) if isinstance(exc, ServiceRequestError | ServiceResponseError) else None
    if tls is not None:
        message = f"no trusted TLS connection to vault {host} reading {name!r}: {tls}"
        return VaultTlsError(message, secret_name=name, vault=host)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        message = f"vault {host} unreachable reading {name!r} ({type(exc).__name__})"
        return VaultUnavailableError(message, secret_name=name, vault=host)
    message = f"reading secret {name!r} from {host} failed ({type(exc).__name__})"
    return VaultError(message, secret_name=name, vault=host)


def _translate_status(exc: HttpResponseError, status: int, name: str, host: str) -> VaultError:
    code = exc.error.code if exc.error is not None else None
    inner = (exc.error.innererror or {}).get("code") if exc.error is not None else None
    detail = f"HTTP {status}" + (f" {code}" if code else "")
    if status == 403 and "SecretDisabled" in (inner, code):
        message = f"secret {name!r} in {host} is disabled"
        return SecretDisabledError(message, secret_name=name, vault=host, status=status)
    if status in (401, 403):
        message = f"access to secret {name!r} in {host} denied ({detail})"
        return VaultAccessDeniedError(message, secret_name=name, vault=host, status=status)
    if status in _TRANSIENT_STATUSES:
        headers = getattr(exc.response, "headers", None) or {}
        return VaultUnavailableError(
            f"vault {host} unavailable reading {name!r} ({detail})",
            secret_name=name,
            vault=host,
            status=status,
            retry_after=_capped(parse_retry_after(headers.get("Retry-After"))),
        )
    message = f"reading secret {name!r} from {host} failed ({detail})"
    return VaultError(message, secret_name=name, vault=host, status=status)


def _capped(retry_after: float | None) -> float | None:
    return None if retry_after is None else min(retry_after, MAX_RETRY_AFTER)
