"""The Key Vault client the app reads its secret with: bounded in every way it can wait.

The vault is read on the request path, so nothing in the client may wait longer than a
request can. azure-core's defaults are made for batch jobs: 300 s connect and read
timeouts (``ConnectionConfiguration``), ten retries with back-off up to two minutes, a
seven-day operation timeout, and a ``RetryPolicy`` that sleeps for whatever a
``Retry-After`` (or ``retry-after-ms`` / ``x-ms-retry-after-ms``) header asks, uncapped
(``RetryPolicy._sleep_for_retry`` after ``is_retry`` says yes to any 4xx/5xx answer that
carries one). One 429 with ``Retry-After: 99999`` would hold the calling thread for a day.

Here: a 3 s connect and 5 s read timeout per attempt, two quick retries, a 12 s operation
timeout (azure-core stops retrying once it is spent and shortens the connect timeout of
the last attempt to fit), and :class:`BoundedRetryPolicy`, which retries after a
``Retry-After`` of at most :data:`MAX_RETRY_AFTER_SLEEP` seconds and otherwise hands the
answer straight back: the provider then reports the vault as unavailable, with its
``Retry-After``, instead of sleeping on it. The provider (:mod:`shared.vault`) adds the
deadline its callers wait for a fetch, whatever the client does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.core.pipeline.policies import RetryPolicy

from shared.httpenv import azure_client_keywords

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.pipeline import PipelineResponse
    from azure.keyvault.secrets import SecretClient

#: Seconds to connect and to wait for each answer, per attempt.
CONNECTION_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
#: The whole operation, retries and their waits included (azure-core's ``timeout``).
OPERATION_TIMEOUT = 12
#: Retries after the first attempt, and the exponential back-off between them.
RETRY_TOTAL = 2
RETRY_BACKOFF_FACTOR = 0.5
RETRY_BACKOFF_MAX = 2
#: The longest ``Retry-After`` worth sleeping for inside a request; a longer one ends the
#: retries at once.
MAX_RETRY_AFTER_SLEEP = 2.0


class BoundedRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's ``RetryPolicy``, except that a long ``Retry-After`` is not slept on.

    :keyword max_retry_after: the longest ``Retry-After`` (seconds) still retried after;
        an answer asking for more is returned as it is, ending the retries.

    Other keywords are ``RetryPolicy``'s (``retry_total``, ``timeout``...).
    """

    def __init__(self, *, max_retry_after: float = MAX_RETRY_AFTER_SLEEP, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_retry_after = max_retry_after

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        wait = self.get_retry_after(response)
        if wait is not None and wait > self.max_retry_after:
            return False
        return bool(super().is_retry(settings, response))


def client_options() -> dict[str, Any]:
    """The keywords every ``SecretClient`` of the app is built with (transport and retries)."""
    return {
        "connection_timeout": CONNECTION_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retry_policy": BoundedRetryPolicy(
            retry_total=RETRY_TOTAL,
            retry_backoff_factor=RETRY_BACKOFF_FACTOR,
            retry_backoff_max=RETRY_BACKOFF_MAX,
            timeout=OPERATION_TIMEOUT,
        ),
    }


def secret_client(vault_url: str, credential: TokenCredential) -> SecretClient:
    """A ``SecretClient`` for ``vault_url`` with the bounded options above."""
    from azure.keyvault.secrets import SecretClient

    return SecretClient(
        vault_url, credential, **client_options(), **azure_client_keywords(vault_url)
    )
