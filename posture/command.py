"""The ``posture`` command: the posture checker, installed with the ``[posture]`` extra.

:func:`shared.products.run_command` checks the extra, then runs ``python -m posture``.
"""

from __future__ import annotations

from shared.products import run_command


def main() -> int:
    return run_command("posture")
