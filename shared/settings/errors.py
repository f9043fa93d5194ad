"""The settings' exceptions: a setting, or a variable of the environment, that stops the app.

Raised at start-up (:mod:`shared.startup`), so a host with a missing, malformed or
secret-shaped setting refuses to run with an error naming it, never its value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import AppError

if TYPE_CHECKING:
    from shared.settings.environment import Problem


class SettingsError(AppError, ValueError):
    """A setting is missing, malformed or secret-shaped. ``setting`` names it."""

    code = "misconfigured"
    caller_message = "the app's settings are missing or invalid: an operator must act"

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"app setting {setting}: {problem}")
        self.setting = setting


class UnsafeEnvironmentError(SettingsError):
    """A variable in the process's environment is a credential, a key or a secret."""

    code = "unsafe_environment"

    def __init__(self, problem: Problem) -> None:
        ValueError.__init__(self, str(problem))
        self.setting = problem.variable
        self.problem = problem
