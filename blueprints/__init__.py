"""The app's capabilities, one blueprint module each.

Importing this package does two things once, before any function can run:
it installs log redaction, so no output can carry a secret value the process
fetched, and it validates the settings, so a missing, malformed or
secret-shaped setting stops the host at start-up with an error naming it.
"""

from shared.redaction import install_log_redaction
from shared.settings import get_settings

install_log_redaction()
get_settings()
