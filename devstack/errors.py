"""The devstack's one exception family: a start-up problem said in one line with its fix.

Every piece raises a :class:`StackError` (or a subclass) whose message names the file,
setting, port or process at fault and what to do about it; ``devstack up`` prints that
line and exits non-zero, never a traceback.
"""

from __future__ import annotations


class StackError(RuntimeError):
    """The stack cannot start; the message says which piece and what to do."""


class PortInUseError(StackError):
    """A port the stack needs is taken; the message names what holds it and how to move."""


class StackBusyError(StackError):
    """Another devstack holds the state directory; the message names its pid."""
