"""The environment for a child process that make test's coverage must leave alone.

Under ``make test`` every Python the tests start is measured: coverage.py's subprocess
support finds ``COVERAGE_PROCESS_CONFIG`` (or ``COVERAGE_PROCESS_START``) in its environment
and starts tracing. Two kinds of child are better left alone: a third-party tool that only
reads the tree (bandit, detect-secrets: tracing them costs minutes and measures nothing of
ours), and a child whose own measurement coverage would change (the heap a benchmark reads).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")


def unmeasured_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) without the variables that start coverage."""
    source = os.environ if env is None else env
    return {name: value for name, value in source.items() if name not in COVERAGE_VARIABLES}
