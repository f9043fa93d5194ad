"""The products this repository installs, and whether one is complete where it runs.

One distribution (``secretless-functions``) carries the three tools and this library; each
tool is an extra (``[devstack]``, ``[posture]``, ``[migrate]``) that brings its own
dependencies and nothing else, while every command is installed with the distribution. So a
command first asks here whether its extra's requirements are installed, and says in one
line which are not and what to type, rather than failing on the first import with a
traceback. The answer comes from the installed distribution's metadata (its requirements
and the address it was installed from, PEP 610), never from a list kept here. In a checkout,
where the distribution is not installed, nothing is reported missing: the checkout's venv is
built from the requirements files, which hold every product's pins.

Standard library only: it runs before anything a product needs is known to be there.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable
from importlib import metadata

DISTRIBUTION = "secretless-functions"
#: What an installed command exits with when its product's extra is incomplete.
EXIT_NOT_INSTALLED = 2
PRODUCTS = ("devstack", "posture", "migrate")

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(requires: list[str], extra: str, seen: frozenset[str]) -> list[str]:
    """The distribution names ``extra`` needs, following the extras it names of its own."""
    names: list[str] = []
    for line in requires:
        requirement, _, marker = line.partition(";")
        wanted = _EXTRA.search(marker)
        named = _NAME.match(requirement)
        if wanted is None or wanted[1] != extra or named is None:
            continue
        if _normalized(named[1]) == DISTRIBUTION:  # an extra that includes another one
            for inner in (part.strip() for part in (named[2] or "").split(",")):
                if inner and inner not in seen:
                    names += _requirements(requires, inner, seen | {inner})
        else:
            names.append(named[1])
    return names


def missing_requirements(product: str) -> list[str]:
    """The distributions ``product`` needs that are not installed, in the extra's order."""
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []  # a checkout: its venv comes from the requirements files
    missing = []
    for name in _requirements(requires, product, frozenset({product})):
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return sorted(set(missing), key=missing.index)


def install_hint(product: str) -> str:
    """What to type to install ``product`` from where this distribution came from."""
    source = "<the repository's URL or directory>"
    try:
        direct = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    if direct:
        document = json.loads(direct)
        url = str(document.get("url", ""))
        vcs = document.get("vcs_info")
        if isinstance(vcs, dict) and vcs.get("vcs") == "git":
            url = f"git+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}"
        source = url or source
    return f"pip install '{DISTRIBUTION}[{product}] @ {source}'"


def incomplete(product: str) -> str | None:
    """One line naming what ``product`` lacks here and how to install it; None when complete."""
    missing = missing_requirements(product)
    if not missing:
        return None
    return (
        f"{product} needs the [{product}] extra, which is not installed here (missing: "
        f"{', '.join(missing)}): install it with {install_hint(product)}"
    )


def run_command(product: str) -> int:
    """An installed command: ``product``'s ``python -m`` entry point once its extra is
    complete, else the one line :func:`incomplete` says and :data:`EXIT_NOT_INSTALLED`.

    Every command is installed with the distribution, each product's dependencies only with
    its extra; so the product is imported only after the check, and a missing dependency is
    named in one line instead of met as a traceback from the first import that fails."""
    problem = incomplete(product)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NOT_INSTALLED
    main: Callable[[], int] = importlib.import_module(f"{product}.__main__").main
    return main()
