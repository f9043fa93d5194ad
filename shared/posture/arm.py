"""Control-plane facts (Resource Graph and ARM), read only when subscriptions are configured."""

from __future__ import annotations

from shared.posture.context import CheckContext


def key_vault_reference_names(context: CheckContext) -> frozenset[str] | None:
    """App settings known to be Key Vault references; None when that cannot be known."""
    del context
    return None
