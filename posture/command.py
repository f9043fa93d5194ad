"""The ``posture`` command: the posture checker, installed with the ``[posture]`` extra.

Every command is installed with the distribution, each product's dependencies only with its
extra; so the command checks its extra first (:mod:`shared.products`) and names what is
missing in one line, instead of a traceback from the first import that fails. Then it is
``python -m posture``.
"""

from __future__ import annotations

import sys

from shared.products import incomplete

EXIT_NOT_INSTALLED = 2


def main() -> int:
    problem = incomplete("posture")
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NOT_INSTALLED
    from posture.__main__ import main as run

    return run()
