"""The door through which a test starts stacks of its own (the ``stacks`` fixture).

Requesting ``stacks`` marks a test ``stack`` (tests/support/marks.py), which keeps it out of
``make fast``; the stacks it starts are ordinary :func:`devstack.runner.running_stack` ones.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from devstack.runner import RunningStack, running_stack


class Stacks:
    """Stacks a test (or a module's fixture) starts for itself, on free ports."""

    def running(self, state_dir: Path, **options: Any) -> AbstractContextManager[RunningStack]:
        """A stack for a ``with`` block, with :func:`devstack.runner.running_stack`'s options."""
        return running_stack(state_dir, **options)
