"""The rule catalogue; importing this package registers every rule.

One module per source of facts, in the order of docs/posture.md: the runtime
(environment and tokens), Key Vault's data plane, the control plane (the property
table, App Service, exposure, access, audit trails, Event Grid), Entra (credentials,
tenant governance), and the partner reached with Entra tokens (``partner``). ``judge``,
``kinds`` and ``permissions`` hold what several of them share.
"""

from posture.rules import (  # noqa: F401
    access,
    appservice,
    auditing,
    controlplane,
    entra,
    eventgrid,
    exposure,
    keyvault,
    partner,
    properties,
    runtime,
    tenant,
    tokens,
    vaultkeys,
)

__all__: list[str] = []
