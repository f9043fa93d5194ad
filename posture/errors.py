"""The posture checker's exceptions: a run that cannot read a fact, or a catalogue that is wrong.

A rule that meets one reports ``error`` with the message (names and statuses, never a
value); none reaches an HTTP caller but through ``api_errors``, as the app's other errors.
"""

from __future__ import annotations

from shared.errors import AppError


class PostureError(AppError):
    """Base class: the posture checker could not do what it was asked."""

    code = "posture_failed"


class RuleRegistryError(PostureError, ValueError):
    """Two rules claim one id, or a lookup names no rule."""

    code = "no_such_rule"


class GraphError(PostureError):
    """Graph refused or failed a request; ``status`` and Graph's error code, nothing else."""

    code = "graph_failed"

    def __init__(self, status: int, graph_code: str | None) -> None:
        detail = f" {graph_code}" if graph_code else ""
        super().__init__(f"Microsoft Graph answered HTTP {status}{detail}")
        self.status, self.graph_code = status, graph_code


class VaultListingTruncatedError(PostureError, RuntimeError):
    """The vault holds more secrets than one run inspects."""

    code = "vault_listing_truncated"
