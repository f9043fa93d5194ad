"""What the app does once, before any function can run: one call at the top of function_app.py.

Log redaction goes first, with the scrubbing of stdout and stderr, so no output the
process writes from then on can carry a secret value it fetched or a value shaped like
one; then the settings are validated, so a missing, malformed or secret-shaped setting
stops the host at start-up with an error naming it (never its value) instead of failing
the first request.
"""

from __future__ import annotations

from shared.redactedoutput import install_output_redaction
from shared.redaction import install_log_redaction
from shared.settings import get_settings


def start() -> None:
    """Install log and output redaction and validate the settings. Idempotent."""
    install_log_redaction()
    install_output_redaction()
    get_settings()
