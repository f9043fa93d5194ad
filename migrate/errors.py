"""The one exception family of the migrate tool.

Every error the command line can meet is a :class:`MigrateError` whose message is one line
naming the cause and what to do about it; ``__main__`` prints that line and exits, never a
traceback. Problems with single input files (unparsable, binary, too large) are not errors:
they become one line each in the scan's result and the scan goes on.
"""

from __future__ import annotations


class MigrateError(Exception):
    """Base of every error the tool raises on purpose; ``str()`` is the line to print."""

    exit_code = 2


class UsageError(MigrateError):
    """The command line names something that cannot be used (a missing directory, an --out
    inside the input tree)."""


class OutputError(MigrateError):
    """The output directory cannot be written as asked."""


class VerifyError(MigrateError):
    """The local stack could not run the migrated app at all (not a failed rule: a verify
    that ran and found a key exits 1 with a report, not with this)."""
