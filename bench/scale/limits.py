"""The published limits the scale model holds the app to, each with the page it comes from.

A limit is a count per window (Key Vault's is per 10 seconds, Storage's per second). The
partner's limit is not published anywhere we can cite: it is the partner's contract, so it
is an input of the model (``PARTNER_CALLS_PER_S``, ``python -m bench.scale --partner-limit``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: float
    window_s: float
    source: str

    def per_second(self) -> float:
        return self.count / self.window_s


#: For secrets, every transaction but create, per vault per region; the
#: subscription-wide limit is five times the per-vault one.
VAULT = Limit(
    "Key Vault transactions per vault (GET, list)",
    4000,
    10,
    "https://learn.microsoft.com/azure/key-vault/general/service-limits",
)
#: A single queue's target throughput, 1 KiB messages. The model counts every message
#: operation on the queue (put, get, delete) against it, which is the conservative reading.
QUEUE = Limit(
    "one Storage queue (message operations)",
    2000,
    1,
    "https://learn.microsoft.com/azure/storage/queues/scalability-targets",
)
#: Default maximum request rate of a standard general-purpose v2 account. 40,000 in the
#: regions the page lists (most large ones); 20,000 elsewhere, which the model uses.
STORAGE_ACCOUNT = Limit(
    "one Storage account (all requests)",
    20000,
    1,
    "https://learn.microsoft.com/azure/storage/common/scalability-targets-standard-account",
)

#: Flex Consumption scales an app out to at most 1,000 instances
#: (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan); the template
#: deploys 40 (infra/modules/function-app.bicep, ``maximumInstanceCount``).
FLEX_MAX_INSTANCES = 1000
TEMPLATE_MAX_INSTANCES = 40
#: HTTP invocations one Flex instance runs at once (2,048 MB instances: 16), which with a
#: submission's latency says how many instances a job rate needs
#: (https://learn.microsoft.com/azure/azure-functions/functions-concurrency).
HTTP_CONCURRENCY = 16

#: The partner's own limit: an input, not a published number (see the module docstring).
PARTNER_CALLS_PER_S = 100.0

#: The identity endpoint of an App Service or Functions instance is local to the instance;
#: no per-app limit is published for it, so token requests are reported, not judged.
IDENTITY_LIMIT: Limit | None = None
