"""The rule catalogue; importing this package registers every rule.

One module per source of facts, in the order of docs/posture.md: the runtime
(environment and tokens), Key Vault's data plane, the control plane, Entra.
"""

from posture.rules import controlplane, entra, keyvault, runtime, tokens  # noqa: F401

__all__: list[str] = []
