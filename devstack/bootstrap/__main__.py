"""``python -m devstack.bootstrap venv DIR REQUIREMENTS`` / ``... node``: one set-up step.

Run by the Makefile's set-up targets from the project directory, under the checkout's
set-up lock; quiet when everything is installed already.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.bootstrap.lock import setup_lock
from devstack.bootstrap.node import ensure_node_modules
from devstack.bootstrap.pins import PinError
from devstack.bootstrap.venv import SetupError, ensure_venv


def say(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.bootstrap", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    venv = steps.add_parser("venv", help="a venv holding a requirements file's pins")
    venv.add_argument("dir", type=Path)
    venv.add_argument("requirements", type=Path)
    venv.add_argument(
        "--python", default=sys.executable, help="the interpreter that (re)builds the venv"
    )
    steps.add_parser("node", help="node_modules as package-lock.json pins it (npm ci)")
    args = parser.parse_args(argv)
    root = Path.cwd()
    try:
        with setup_lock(root, say=say):
            if args.step == "venv":
                ensure_venv(args.dir, args.requirements, python=args.python, say=say)
            else:
                ensure_node_modules(root, say=say)
    except (SetupError, PinError) as exc:
        print(str(exc) if str(exc).startswith("setup:") else f"setup: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("setup: interrupted; the next `make setup` finishes it", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
