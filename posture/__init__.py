"""The posture checker: how secretless the running deployment is, proven by rules.

A product of its own, deployed with the app (its timer runs it) and usable as a CI
gate (``python -m posture``). It stands on :mod:`shared` and never imports the
blueprints, which serve its reports.
"""
