"""The third-party ("partner") API stub: it demands the key kept in the vault and fails on cue.

``analysis`` is the toy work it does, ``store`` what it remembers and counts (idempotent
answers, calls, refusals, faults), ``api`` the HTTP routes over them.
"""
