"""The app's capabilities, one blueprint module each.

A blueprint depends on :mod:`shared` (and the posture blueprint on :mod:`posture`),
never on another blueprint. Importing this package does nothing by itself: the app's
start-up (log redaction, settings validation) is the explicit ``shared.startup.start()``
call at the top of ``function_app.py``.
"""
