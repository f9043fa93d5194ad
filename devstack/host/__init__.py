"""The devstack function host: runs a Python v2 function app without Core Tools.

It imports ``function_app``, indexes it with ``app.get_functions()`` and serves
HTTP, queue and timer triggers with the Functions host's semantics (see
docs/devstack.md for the few places it differs).
"""
