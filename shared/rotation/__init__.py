"""Rotation of the partner key: events in, a new key at the partner and in the vault out.

``events`` reads what Key Vault publishes through Event Grid, ``guard`` makes concurrent
rotations take turns, ``partnerkeys`` speaks the partner's key-management API, ``state``
keeps what the posture checker reports (never a key), ``flow`` is the dual-key rotation
itself and ``config`` its settings; ``wiring`` builds them once per process.
"""
