"""What one job and one idle instance cost the storage account, the vault and the identity
endpoint: the numbers the model multiplies.

The per-job storage transactions are the app's own calls, counted on the devstack by the
control plane's ``storage`` counters (tests/integration/test_scale_costs.py holds these
constants to that count, so the model cannot drift from the code):

- the API (``POST /api/jobs``): the job's message put, carrying the job, then its state
  blob written (shared/jobs/_messages.py: a request cut off between the two leaves a message
  the worker writes the state from, so no marker of its own is needed; a job too large for
  its message, over 48 KiB once JSON-escaped, costs an outbox marker's write and delete
  more, which the model leaves out);
- the worker: the state is read once and written twice (``processing``, then
  ``completed`` with the ETag the first write returned), the result written once, and the
  message deleted once.

What the host adds is the host's: Get Messages returns up to ``batchSize`` messages per
call (host.json: 16), and an idle listener polls each queue at most every
``maxPollingInterval`` (host.json: 2 s) with a randomised exponential back-off
(https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json).
"""

from __future__ import annotations

from types import MappingProxyType

#: Storage transactions per job made by the submit API, keyed as the ``storage`` counters
#: key them: ``<service>:<container or queue>:<operation>``.
SUBMIT_PER_JOB = MappingProxyType({"blob:jobs:blob.write": 1, "queue:jobs:message.put": 1})

#: Storage transactions per job made by the worker (Get Messages excluded: batched by the host).
WORKER_PER_JOB = MappingProxyType(
    {
        "blob:jobs:blob.read": 1,
        "blob:jobs:blob.write": 2,
        "blob:results:blob.write": 1,
        "queue:jobs:message.delete": 1,
    }
)

#: host.json ``extensions.queues``: messages per Get Messages call and the idle poll ceiling.
BATCH_SIZE = 16
MAX_POLLING_INTERVAL_S = 2.0
#: Queues each instance listens on: ``jobs`` and ``jobs-poison`` (blueprints/worker.py).
LISTENED_QUEUES = 2

#: Identity-endpoint audiences the app asks for: Key Vault and Storage, one token each per
#: refresh per instance (shared/identity.py shares one credential per process).
TOKEN_AUDIENCES = 2
#: Managed-identity access tokens are long-lived (the model assumes 24 h); azure-identity
#: asks for a new one half-way through a lifetime of two hours or more
#: (azure/identity/_internal/managed_identity_client.py, ``refresh_in``).
TOKEN_REFRESH_S = 12 * 3600.0


def _per_job(service: str) -> int:
    both = [*SUBMIT_PER_JOB.items(), *WORKER_PER_JOB.items()]
    return sum(n for key, n in both if key.startswith(f"{service}:"))


def blob_per_job() -> int:
    """Blob transactions per job (API and worker)."""
    return _per_job("blob")


def queue_per_job() -> int:
    """Queue message transactions per job, Get Messages left out (see :data:`BATCH_SIZE`)."""
    return _per_job("queue")


#: One posture run (the timer, on one instance every ``POSTURE_SCHEDULE``, 6 h by default:
#: ``use_monitor`` keeps it to one instance): Key Vault list calls are one probe plus one
#: page per ``POSTURE_VAULT_PAGE`` secrets (posture/sources/vault.py); storage
#: transactions are the reachability probes (blob, queue, table: five on the devstack's
#: endpoints), the rotation's state read once (KV-SECRET-EXPIRING says whether a rotation
#: is under way or failed) and the report's two blobs (latest and dated).
POSTURE_VAULT_PROBES = 1
POSTURE_VAULT_PAGE = 25
POSTURE_STORAGE_PER_RUN = 8


def posture_vault_calls(secrets_in_vault: int) -> int:
    """Key Vault calls of one posture run over a vault holding ``secrets_in_vault``."""
    pages = max(1, -(-secrets_in_vault // POSTURE_VAULT_PAGE))
    return POSTURE_VAULT_PROBES + pages
