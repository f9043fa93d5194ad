"""The ``migrate`` command: the migration tool, installed with the ``[migrate]`` extra.

:func:`shared.products.run_command` checks the extra, then runs ``python -m migrate``.
"""

from __future__ import annotations

from shared.products import run_command


def main() -> int:
    return run_command("migrate")
