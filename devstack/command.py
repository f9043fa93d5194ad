"""The ``devstack`` command: the offline local stack, installed with the ``[devstack]`` extra.

:func:`shared.products.run_command` checks the extra, then runs ``python -m devstack``.
"""

from __future__ import annotations

from shared.products import run_command


def main() -> int:
    return run_command("devstack")
