"""What every HTTP blueprint shares: the one JSON error shape and the way to it.

Not a blueprint: it registers no function. It depends on ``azure.functions``, which is
why it lives here and not in :mod:`shared` (importable without the Functions runtime).
"""
