"""The app's capabilities, one blueprint module each.

Importing this package installs log redaction once, before any blueprint can
log, so no function's output can carry a secret value the process fetched.
"""

from shared.redaction import install_log_redaction

install_log_redaction()
