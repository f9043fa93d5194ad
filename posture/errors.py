"""The posture checker's one exception family.

Every error the checker raises on purpose derives from :class:`PostureError`, so a caller
(the CLI, the report API) can catch the family in one place. :class:`Unseen` is the one a
rule's evaluation turns into a status: a source that cannot see what a rule judges raises
it with *what* it could not see, and the runner reports the rule ``unknown`` with that
reason. A blind rule must never pass.
"""

from __future__ import annotations


class PostureError(Exception):
    """Base of every error the posture checker raises on purpose."""


class Unseen(PostureError):
    """What a rule judges could not be seen: an input is missing or the scope shows nothing.

    The message names what is missing and how to supply it; it never quotes a value.
    """


class RuleRegistryError(PostureError, ValueError):
    """Two rules claim one id, or a lookup names no rule or baseline."""


class WaiverError(PostureError, ValueError):
    """The waivers file cannot be used: one line naming the entry, the problem and the fix."""
