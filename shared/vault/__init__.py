"""Key Vault secrets for the app: the bounded client, the cached provider, their errors.

:func:`secret_client` is the one place a ``SecretClient`` is built, for the jobs API and
the rotation alike (its timeouts and retries are made for the request path: nothing in it
may wait longer than a request can). :class:`SecretProvider` reads through it, caches in
memory, shares one fetch among concurrent callers and serves a slightly stale value
through a short outage. The exceptions (:mod:`shared.vault.errors`) import no SDK; the
client and the provider load the Key Vault SDK and azure-core when first used.
"""

from typing import TYPE_CHECKING

from shared._lazy import lazy_names
from shared.vault.errors import (
    SecretDisabledError,
    SecretNotFoundError,
    VaultAccessDeniedError,
    VaultError,
    VaultTlsError,
    VaultUnavailableError,
)

if TYPE_CHECKING:
    from shared.vault._client import BoundedRetryPolicy, client_options, secret_client
    from shared.vault._failures import MAX_RETRY_AFTER
    from shared.vault._provider import SecretProvider

__all__ = [
    "MAX_RETRY_AFTER",
    "BoundedRetryPolicy",
    "SecretDisabledError",
    "SecretNotFoundError",
    "SecretProvider",
    "VaultAccessDeniedError",
    "VaultError",
    "VaultTlsError",
    "VaultUnavailableError",
    "client_options",
    "secret_client",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            "BoundedRetryPolicy": "._client",
            "client_options": "._client",
            "secret_client": "._client",
            "MAX_RETRY_AFTER": "._failures",
            "SecretProvider": "._provider",
        },
    )
