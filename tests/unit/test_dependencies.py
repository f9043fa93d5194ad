"""The dependency direction of docs/contributing.md, held for every import the code makes.

``function_app -> blueprints -> {posture, shared}``, ``posture -> shared``; a blueprint
never imports another (``blueprints/http`` and ``blueprints/contracts`` are what they
share); ``shared`` imports none of the others, so there is no cycle between ``shared``
and ``posture``; ``devstack`` knows the app only through the indexing API (it loads
``function_app.py`` by path), never by import.

Two checks: every import statement, including the ones inside functions (imported on
first use), read from the syntax tree; and each package imported alone in a fresh
interpreter, which must not load a package it may not depend on. Tests may import anything
but another test module: what tests share lives in ``tests/support``.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.runner import ROOT
from tests.support.imports import imported_modules, module_name

APP_PACKAGES = ("shared", "posture", "blueprints", "devstack", "bench", "tests")
#: package -> the packages of this repository it must never import.
FORBIDDEN: dict[str, frozenset[str]] = {
    "shared": frozenset({"posture", "blueprints", "devstack", "function_app", "bench", "tests"}),
    "posture": frozenset({"blueprints", "devstack", "function_app", "bench", "tests"}),
    "blueprints": frozenset({"devstack", "function_app", "bench", "tests"}),
    "devstack": frozenset({"blueprints", "posture", "function_app", "bench", "tests"}),
    # a developer tool beside the app: it reads shared's secret shapes and runs posture's rules,
    # starts the devstack as a process, and never imports the app itself
    "migrate": frozenset({"blueprints", "function_app", "bench", "tests"}),
}
#: Modules under blueprints/ that are shared by the blueprints, not blueprints themselves.
BLUEPRINT_COMMONS = ("blueprints.http", "blueprints.contracts")


def is_blueprint(module: str) -> bool:
    """A module directly in blueprints/ (one capability), not what the blueprints share."""
    parts = module.split(".")
    return len(parts) == 2 and parts[0] == "blueprints" and not module.startswith(BLUEPRINT_COMMONS)


def violations(source: str, module: str) -> list[str]:
    """Every import of ``module`` that goes against the dependency direction."""
    top = module.split(".")[0]
    found = []
    for line, target in imported_modules(source, module):
        target_top = target.split(".")[0]
        if target_top in FORBIDDEN.get(top, frozenset()):
            found.append(f"{module}:{line} imports {target}")
        other_blueprint = is_blueprint(target) and target != module
        if top == "blueprints" and module != "blueprints" and other_blueprint:
            found.append(f"{module}:{line} imports the blueprint {target}")
    return sorted(set(found))


def code_files() -> list[Path]:
    files = [ROOT / "function_app.py"]
    for package in FORBIDDEN:
        files += sorted((ROOT / package).rglob("*.py"))
    return [path for path in files if "__pycache__" not in path.parts]


@pytest.mark.slow
def test_every_import_follows_the_dependency_direction() -> None:
    files = code_files()
    assert len(files) > 80, "too few modules found to be meaningful"
    found = [
        problem
        for path in files
        for problem in violations(path.read_text(encoding="utf-8"), module_name(path))
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("shared.settings", "from posture.context import CheckContext\n", "imports posture"),
        ("shared.vault", "def f():\n    import blueprints.jobs\n", "imports blueprints.jobs"),
        ("posture.runner", "from blueprints.http import errors\n", "imports blueprints.http"),
        ("blueprints.worker", "from blueprints.jobs import job_body\n", "the blueprint"),
        ("blueprints.worker", "from blueprints import posture\n", "the blueprint"),
        ("blueprints.http.errors", "import blueprints.jobs\n", "the blueprint"),
        ("devstack.host.functions", "import function_app\n", "imports function_app"),
        ("shared.jobs._model", "from .. import startup\nfrom ...posture import model\n", "posture"),
    ],
)
def test_the_check_fails_on_a_generated_wrong_import(
    module: str, source: str, expected: str
) -> None:
    found = violations(source, module)
    assert found, (module, source)
    assert any(expected in problem for problem in found), found


def test_what_may_be_imported_is_not_a_finding() -> None:
    source = (
        "from shared.settings import get_settings\n"
        "from posture.runner import run_rules\n"
        "from blueprints.http.errors import api_errors\n"
        "from blueprints.contracts import jobs\n"
    )
    assert violations(source, "blueprints.posture") == []
    assert violations("from shared import storage\n", "posture.sources.arm") == []


def imports_of_test_modules(source: str, module: str) -> list[str]:
    """Every import of a test module (``test_*``) in ``source``."""
    return sorted(
        {
            f"{module}:{line} imports the test module {target}"
            for line, target in imported_modules(source, module)
            if any(part.startswith("test_") for part in target.split(".")[1:])
        }
    )


@pytest.mark.slow
def test_no_test_module_imports_another() -> None:
    files = [path for path in (ROOT / "tests").rglob("*.py") if "__pycache__" not in path.parts]
    assert len(files) > 150, "too few test files found to be meaningful"
    found = [
        problem
        for path in files
        for problem in imports_of_test_modules(path.read_text(encoding="utf-8"), module_name(path))
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from tests.unit.shared.test_vault import ScriptedVault\n",
        "import tests.integration.test_jobs_pipeline\n",
        "def f():\n    from tests.integration import test_auth_matrix\n",
        "from .test_outbound import Partner\n",
    ],
)
def test_the_test_module_check_fails_on_a_generated_import(source: str) -> None:
    assert imports_of_test_modules(source, "tests.unit.shared.test_answers") != []


def test_shared_helpers_and_conftest_are_not_test_modules() -> None:
    source = (
        "from tests.support.scripted_vault import ScriptedVault\n"
        "from tests.integration.conftest import Rehearsal\n"
        "from tests.unit.devstack.partner.partnerhttp import Http\n"
    )
    assert imports_of_test_modules(source, "tests.unit.shared.test_answers") == []


_LOADED = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.slow
@pytest.mark.parametrize("package", ["shared", "posture", "migrate"])
def test_a_package_imported_alone_loads_none_it_may_not_depend_on(package: str) -> None:
    """Every module of the package imported in a fresh interpreter: no forbidden package
    arrives, not even through a dependency (so no cycle between shared and posture)."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, package],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert package in loaded
    assert loaded & FORBIDDEN[package] == set()


DEPLOYED = ("shared", "posture", "blueprints", "function_app.py", "host.json", "requirements.txt")
LOCAL_ONLY = ("devstack", "tests", "bench", "docs", "infra", "migrate", "pyproject.toml")


def test_what_the_app_imports_is_deployed_and_the_local_stack_is_not() -> None:
    """.funcignore (gitignore syntax) decides what the deployment zip holds."""
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".funcignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)

    assert [name for name in DEPLOYED if ignored(name)] == []
    assert [name for name in LOCAL_ONLY if not ignored(name)] == []
