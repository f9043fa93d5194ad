"""The library the blueprints stand on: settings, identity, vault, outbound, storage, redaction.

Importable and testable without the Functions runtime; never imports
``blueprints`` or ``devstack``.
"""

__version__ = "0.1.0"
