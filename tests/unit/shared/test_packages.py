"""Each feature package of ``shared`` shows one public face: ``__init__`` lists it in ``__all__``.

Its modules with a leading underscore are private: code outside the package (the app, the
posture checker, the local stack, the benchmarks) imports the package, never them; tests
of a private module may. Every name a package lists resolves, the lazily imported ones
included (:mod:`shared._lazy`).
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import shared
from devstack.runner import ROOT
from tests.support.imports import imported_modules, module_name

#: Code that may not reach into a package's private modules (tests may).
CALLERS = ("shared", "blueprints", "posture", "devstack", "bench", "smoke", "migrate")


def feature_packages() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(shared.__path__, "shared.")
        if info.ispkg and not info.name.rsplit(".", 1)[-1].startswith("_")
    )


def private_reaches(source: str, module: str) -> list[str]:
    """Imports in ``module`` of a private module of a package ``module`` is not part of."""
    found = []
    for line, target in imported_modules(source, module):
        parts = target.split(".")
        for depth, part in enumerate(parts[1:], start=1):
            if part.startswith("_") and not part.startswith("__"):
                package = ".".join(parts[:depth])
                if module != package and not module.startswith(package + "."):
                    found.append(f"{module}:{line} imports {'.'.join(parts[: depth + 1])}")
                break
    return sorted(set(found))


def test_there_are_feature_packages_to_check() -> None:
    assert {"shared.outbound", "shared.vault", "shared.jobs", "shared.redaction"} <= set(
        feature_packages()
    )


@pytest.mark.parametrize("package", feature_packages())
def test_every_listed_name_resolves_and_none_is_private(package: str) -> None:
    module = importlib.import_module(package)
    listed = module.__all__
    assert listed, f"{package} lists no public name"
    assert len(set(listed)) == len(listed), f"{package} lists a name twice"
    assert [name for name in listed if name.startswith("_")] == []
    for name in listed:
        assert getattr(module, name) is not None, f"{package}.{name}"
        assert name in dir(module)


@pytest.mark.parametrize("package", feature_packages())
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    unknown = "no_such_name"
    with pytest.raises(AttributeError, match=f"has no attribute {unknown!r}"):
        getattr(importlib.import_module(package), unknown)


@pytest.mark.slow
def test_code_outside_a_package_uses_its_public_face() -> None:
    files = [
        path
        for top in CALLERS
        if (ROOT / top).is_dir()
        for path in sorted((ROOT / top).rglob("*.py"))
        if "__pycache__" not in path.parts
    ]
    files.append(ROOT / "function_app.py")
    found = [
        problem
        for path in files
        for problem in private_reaches(path.read_text(encoding="utf-8"), module_name(path))
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("blueprints.jobs", "from shared.outbound._client import OutboundClient\n"),
        ("posture.sources.vault", "def f():\n    import shared.vault._provider\n"),
        ("shared.rotation._wiring", "from shared.vault._client import secret_client\n"),
        ("bench.cases", "from shared.jobs import _store\n"),
    ],
)
def test_the_check_names_a_generated_reach_into_a_private_module(module: str, source: str) -> None:
    assert private_reaches(source, module) != []


def test_a_package_may_use_its_own_private_modules() -> None:
    source = (
        "from shared.outbound._deadline import Deadline\nfrom shared.vault import secret_client\n"
    )
    assert private_reaches(source, "shared.outbound._client") == []
    assert private_reaches("from shared.jobs._model import JobRecord\n", "shared.jobs") == []
