"""The app's exception classes, found by importing the shipped packages module by module.

Shared by the family test (tests/unit/shared/test_errors.py) and the test that drives every
HTTP function into the errors it can raise (tests/unit/blueprints/http/
test_errors_by_function.py).
"""

from __future__ import annotations

import builtins
import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

SHIPPED = ("shared", "blueprints", "posture")
#: Base names that make a class an exception, read from the syntax tree.
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


def modules_of(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def _classes_in(namespace: dict[str, object], module: str) -> Iterator[type]:
    for value in namespace.values():
        if isinstance(value, type) and value.__module__ == module:
            yield value
            yield from _classes_in(dict(vars(value)), module)


def exception_classes(package: str) -> dict[str, type[BaseException]]:
    """``module.QualName`` -> class, for every exception class defined in ``package``."""
    found: dict[str, type[BaseException]] = {}
    for module in modules_of(package):
        for cls in _classes_in(dict(vars(module)), module.__name__):
            if issubclass(cls, BaseException):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found
