"""The posture checker's one exception family, part of the app's (:class:`shared.errors.AppError`).

Every error the checker raises on purpose derives from :class:`PostureError`, so a caller
(the CLI, the report API) can catch the family in one place. :class:`Unseen` is the one a
rule's evaluation turns into a status: a source that cannot see what a rule judges raises
it with *what* it could not see, and the runner reports the rule ``unknown`` with that
reason. A blind rule must never pass. Messages name what failed (names and statuses),
never a value.
"""

from __future__ import annotations

from shared.errors import AppError


class PostureError(AppError):
    """Base of every error the posture checker raises on purpose."""

    code = "posture_failed"


class Unseen(PostureError):
    """What a rule judges could not be seen: an input is missing or the scope shows nothing.

    The message names what is missing and how to supply it; it never quotes a value.
    """

    code = "posture_unseen"


class RuleRegistryError(PostureError, ValueError):
    """Two rules claim one id, or a lookup names no rule or baseline."""

    code = "no_such_rule"


class WaiverError(PostureError, ValueError):
    """The waivers file cannot be used: one line naming the entry, the problem and the fix."""

    code = "invalid_waivers"


class GraphError(PostureError):
    """Graph refused or failed a request; ``status`` and Graph's error code, nothing else."""

    code = "graph_failed"

    def __init__(self, status: int, graph_code: str | None) -> None:
        detail = f" {graph_code}" if graph_code else ""
        super().__init__(f"Microsoft Graph answered HTTP {status}{detail}")
        self.status, self.graph_code = status, graph_code


class VaultListingTruncatedError(Unseen):
    """The vault holds more secrets than one run inspects: the rest could not be seen."""

    code = "vault_listing_truncated"
