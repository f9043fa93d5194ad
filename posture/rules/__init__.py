"""The rule catalogue; importing this package registers every rule.

One module per source of facts, in the order of docs/posture.md: the runtime
(environment and tokens), Key Vault's data plane, the control plane (resources,
App Service, exposure, access, audit trails), Entra (credentials, tenant governance).
"""

from posture.rules import (  # noqa: F401
    access,
    appservice,
    auditing,
    controlplane,
    entra,
    exposure,
    keyvault,
    runtime,
    tenant,
    tokens,
)

__all__: list[str] = []
