"""What the app does once, before any function can run: one call at the top of function_app.py.

Log redaction goes first, with the scrubbing of stdout and stderr (the Python streams, and
file descriptors 1 and 2 beneath them: ``install_descriptor_redaction``), so no output the
process writes from then on can carry a secret value it fetched or a value shaped like
one; then every variable the process sees is checked (:mod:`shared.settings.environment`: no
credential variable, no keyed connection string, no secret-shaped value, declared or not);
then the settings are validated, so a missing, malformed or secret-shaped setting stops
the host at start-up with an error naming it (never its value) instead of failing the
first request. Which settings depends on the functions this app hosts (``APP_FUNCTIONS``):
the rotation app in Azure has the rotation's settings and not the jobs API's. With
``PARTNER_AUTH=entra`` there is no key to rotate: an app hosting ``all`` (locally) leaves
the rotation's functions out (:func:`rotates`). Tracing starts last, when the settings ask
for it (:mod:`shared.tracing`): with tracing off nothing of OpenTelemetry is imported.
"""

from __future__ import annotations

import os

from shared.redaction import (
    install_descriptor_redaction,
    install_log_redaction,
    install_output_redaction,
)
from shared.settings import APP_FUNCTIONS, get_settings
from shared.settings.environment import check_environment
from shared.tracing import start_tracing


def start() -> str:
    """Install log and output redaction, check the environment, validate the settings,
    start tracing if it is on; return ``APP_FUNCTIONS``. Idempotent."""
    install_log_redaction()
    install_output_redaction()
    install_descriptor_redaction()
    check_environment(os.environ)
    hosted = APP_FUNCTIONS.get(os.environ)
    if hosted == "rotation":
        from shared.rotation import load_rotation_config  # only the rotation app reads it

        load_rotation_config()
    else:
        get_settings()
    start_tracing()
    return hosted


def rotates(hosted: str) -> bool:
    """Whether this app registers the key rotation's functions: the rotation app always; an
    app hosting ``all`` only while the partner takes a key (``PARTNER_AUTH=key``)."""
    if hosted == "rotation":
        return True
    return hosted == "all" and get_settings().partner_auth == "key"
