"""The scale model: what the app costs its services at 1 instance and at 1,000.

``limits`` holds the published service limits, ``costs`` what one job and one instance
cost (counted on the devstack), ``model`` the rates they add up to, and ``simulate`` runs
N instances, each with the real ``SecretProvider``, on a virtual clock. ``python -m
bench.scale`` prints the tables docs/scale.md shows.
"""
