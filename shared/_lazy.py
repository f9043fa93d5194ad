"""A package's public names whose modules load an SDK, imported when first read.

The Functions host indexes the app by importing ``function_app``, and every module that
import reaches adds to the cold start (on Flex Consumption, to the first request of each
new instance). A feature package lists its whole public face in ``__init__``'s
``__all__``, but the names whose modules import the Key Vault or Storage SDK, requests or
PyJWT are resolved on first use with a module ``__getattr__`` (PEP 562), so importing the
package for its exceptions or its plain data costs only those.

Type checkers see the names through ``if TYPE_CHECKING:`` imports in the ``__init__``;
the ``__getattr__`` is defined for the interpreter only, so a misspelt name is still a
type error. ``tests/unit/shared/test_packages.py`` resolves every listed name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    :param package: the package's ``__name__``.
    :param homes: each lazily resolved name and the module defining it, relative to the
        package (``"._provider"``); a name read once is kept in the package's namespace.
    """

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
