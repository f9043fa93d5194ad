"""One ``DefaultAzureCredential`` per process, shared by every client.

A credential caches its tokens; creating one per request throws that cache
away and hammers the identity endpoint (and Entra). So the app builds one,
lazily, on first use, and every Storage and Key Vault client takes it. In
Azure it resolves to the user-assigned managed identity named by
``AZURE_CLIENT_ID`` (set ``AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential``
there so it never falls back to a developer credential); on the devstack to
the local managed-identity endpoint; on a laptop against real Azure to
``az login``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use: azure.identity costs ~100 ms at cold start
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
    from azure.identity import DefaultAzureCredential

_lock = threading.Lock()
_credential: SharedCredential | None = None


class SharedCredential:
    """The process's credential, with token requests made one at a time.

    azure-identity caches tokens, but two clients asking for the same scope at
    the same moment on a cold cache both go to the identity endpoint. Taking
    tokens one at a time lets the second find the first's token in the cache;
    a cached token is returned in microseconds, so the lock costs nothing.
    """

    def __init__(self, inner: DefaultAzureCredential) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            return self._inner.get_token(*scopes, **kwargs)

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        with self._lock:
            return self._inner.get_token_info(*scopes, options=options)

    def close(self) -> None:
        self._inner.close()


_SECRET_BASED = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_PASSWORD")


def get_credential() -> SharedCredential:
    """The process-wide credential, created on first call."""
    global _credential
    if _credential is None:
        with _lock:
            if _credential is None:
                from azure.identity import DefaultAzureCredential

                _credential = SharedCredential(DefaultAzureCredential())
    return _credential


def reset_credential() -> None:
    """Close and forget the shared credential (tests, or after settings change)."""
    global _credential
    with _lock:
        if _credential is not None:
            _credential.close()
        _credential = None


#: JSON schema of :func:`identity_source`'s answer (health endpoint, posture report).
IDENTITY_SOURCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["source"],
    "properties": {
        "source": {"type": "string"},
        "client_id": {"type": ["string", "null"]},
        "pinned": {"type": ["string", "null"]},
    },
}


def identity_source(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Which credential ``DefaultAzureCredential`` will use here, judged from the environment.

    Cheap (no token request) and safe to show: names and a client id, never a
    secret. The order mirrors DefaultAzureCredential's own.
    """
    env = os.environ if environ is None else environ
    client_id = env.get("AZURE_CLIENT_ID") or None
    pinned = env.get("AZURE_TOKEN_CREDENTIALS") or None
    if any(env.get(name) for name in _SECRET_BASED) and env.get("AZURE_TENANT_ID"):
        source = "environment (secret-based service principal)"
    elif env.get("AZURE_FEDERATED_TOKEN_FILE"):
        source = "workload identity"
    elif env.get("IDENTITY_ENDPOINT") and env.get("IDENTITY_HEADER"):
        source = "managed identity (App Service endpoint)"
    elif env.get("MSI_ENDPOINT") or env.get("IMDS_ENDPOINT"):
        source = "managed identity"
    else:
        source = "developer sign-in (Azure CLI, azd, PowerShell or VS Code)"
    return {"source": source, "client_id": client_id, "pinned": pinned}
