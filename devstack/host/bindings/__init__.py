"""Bindings as the Functions host and the Python worker handle them, for the devstack host.

The worker's half (which Python types a parameter may have, how a value becomes a
``Datum`` and back) goes through the ``azure.functions`` library's own converters, the
way the worker uses them; the host's half (reading a blob, sending a queue message,
writing a table entity, resolving ``{name}`` in a path) talks to Azurite with the app's
identity-based connections.
"""
