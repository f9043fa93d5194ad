"""shared.errors: every exception class of the shipped code belongs to the one family.

The shipped packages are imported module by module and every exception class they define
(nested in a class too) must derive from :class:`shared.errors.AppError`; the syntax tree
of each module is read as well, so an exception class defined where importing cannot reach
it (inside a function) is named rather than missed. Within a feature package of ``shared``
the exceptions live in its one ``errors`` module. Both checks are shown failing on a
package generated for the purpose.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from devstack.runner import ROOT
from shared.errors import AppError
from tests.support.error_family import BUILTIN_EXCEPTIONS, SHIPPED, exception_classes


def strays(classes: dict[str, type[BaseException]]) -> list[str]:
    """The classes outside the family."""
    return sorted(name for name, cls in classes.items() if not issubclass(cls, AppError))


def looks_like_exception(node: ast.ClassDef) -> bool:
    bases = [ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases]
    named = node.name.endswith(("Error", "Exception", "Timeout"))
    return named or any(
        base in BUILTIN_EXCEPTIONS or base.endswith(("Error", "Exception")) for base in bases
    )


def unreachable(package: str, root: Path, classes: dict[str, type[BaseException]]) -> list[str]:
    """Exception-looking classes in ``package``'s source that importing did not find."""
    known = {(cls.__module__, cls.__name__) for cls in classes.values()}
    found = []
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts or path.name == "__main__.py":
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ClassDef)
                and looks_like_exception(node)
                and (module, node.name) not in known
            ):
                found.append(f"{module}:{node.lineno} {node.name}")
    return found


def outside_errors_module(classes: dict[str, type[BaseException]]) -> list[str]:
    """Exceptions of a feature package of ``shared`` defined elsewhere than its ``errors``."""
    found = []
    for name, cls in classes.items():
        parts = cls.__module__.split(".")
        package = importlib.import_module(".".join(parts[:2]))
        if parts[0] == "shared" and hasattr(package, "__path__") and parts[2:] != ["errors"]:
            found.append(name)
    return sorted(found)


@pytest.mark.parametrize("package", SHIPPED)
def test_every_exception_of_the_shipped_code_is_an_app_error(package: str) -> None:
    classes = exception_classes(package)
    assert len(classes) >= 5, f"too few exception classes found in {package}"
    assert strays(classes) == [], "derive from shared.errors.AppError (or its family's base)"
    assert unreachable(package, ROOT / package, classes) == [], "define it at module level"


def test_a_feature_package_keeps_its_exceptions_in_its_errors_module() -> None:
    assert outside_errors_module(exception_classes("shared")) == []


@pytest.mark.parametrize("package", SHIPPED)
def test_the_family_says_what_each_error_means(package: str) -> None:
    for name, cls in exception_classes(package).items():
        assert issubclass(cls, AppError), name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), name
        assert 400 <= cls.http_status <= 599, name
        assert cls.caller_message, name
        if cls.transient:
            assert cls.http_status in (409, 503), f"{name}: transient, answered with Retry-After"


def test_the_one_duplicate_name_is_gone() -> None:
    """Two unrelated classes once shared a name; a name now means one class."""
    names: dict[str, list[str]] = {}
    for package in SHIPPED:
        for qualified, cls in exception_classes(package).items():
            names.setdefault(cls.__name__, []).append(qualified)
    assert {name: where for name, where in names.items() if len(where) > 1} == {}


STRAY_PACKAGE = {
    "__init__.py": "",
    "errors.py": (
        "from shared.errors import AppError\n"
        "class FineError(AppError):\n    code = 'fine'\n"
        "class StrayError(RuntimeError):\n    pass\n"
        "class Outer(AppError):\n    class InnerError(ValueError):\n        pass\n"
    ),
    "work.py": (
        "def run():\n    class HiddenError(Exception):\n        pass\n\n    raise HiddenError\n"
    ),
}


@pytest.fixture
def stray_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "strayapp"
    root.mkdir()
    for name, text in STRAY_PACKAGE.items():
        (root / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return root


def test_the_checks_name_a_generated_stray_nested_and_hidden_class(stray_package: Path) -> None:
    classes = exception_classes("strayapp")
    assert strays(classes) == ["strayapp.errors.Outer.InnerError", "strayapp.errors.StrayError"]
    assert unreachable("strayapp", stray_package, classes) == ["strayapp.work:2 HiddenError"]
