"""The ``posture`` command: the posture checker, installed with the ``[posture]`` extra.

Every command is installed with the distribution, each product's dependencies only with its
extra; so the command checks its extra first and names what is missing in one line, instead
of a traceback from the first import that fails; then it is ``python -m posture``
(:func:`shared.products.run_command`).
"""

from __future__ import annotations

from shared.products import run_command


def main() -> int:
    return run_command("posture")
