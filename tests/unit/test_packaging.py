"""What each dependency list holds, read from the code's imports and held against the pins.

``requirements.txt`` is what the deployed app needs at run time and nothing else: every
distribution the deployed code (function_app.py, blueprints, shared, posture: the timer runs
the posture checker) imports, plus a runtime need an import does not show, each with its
reason. Each product's extra in ``pyproject.toml`` covers what that product's code imports
(``devstack``: devstack; ``posture``: posture and shared; ``migrate``: migrate, with posture's
extra) and pins every distribution at the version the requirements files pin. An import guarded by
``except ImportError`` is optional: the devstack host makes the app's OpenTelemetry context
current only when the app brings OpenTelemetry. The app's tracing backends (what
``shared.tracing.start_tracing`` loads) are the app's alone: only its start-up calls it, so
no product's extra pins OpenTelemetry. The installed products themselves are tested in
tests/products (a fresh venv each).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata

import pytest

from devstack.runner import ROOT
from tests.support.imports import imported_modules, module_name

PROJECT_PACKAGES = frozenset(
    {"shared", "posture", "blueprints", "devstack", "migrate", "bench", "tests", "function_app"}
)
DEPLOYED = ("function_app.py", "blueprints", "shared", "posture")
#: Deployed needs that no import statement shows, and why.
RUNTIME_ONLY = {
    "cryptography": "PyJWT verifies callers' RS256 tokens with it (shared/callers)",
    **dict.fromkeys(
        (
            "opentelemetry-instrumentation",
            "opentelemetry-instrumentation-wsgi",
            "opentelemetry-instrumentation-asgi",
        ),
        "the Azure Monitor distro asks for them in ranges pip cannot settle alone",
    ),
}
#: Imported by deployed code only where a local setting asks for it, and why; pinned in
#: requirements-dev.txt instead.
LOCAL_ONLY = {
    "opentelemetry-proto": "spans go over OTLP only where "
    "OTEL_EXPORTER_OTLP_ENDPOINT is set: the devstack (infra never sets it)",
}
#: Modules only the app's start-up loads (``shared.startup`` -> ``start_tracing``), and the
#: names that would load them.
APP_STARTUP_ONLY = (
    "shared.startup",
    "shared.tracing._setup",
    "shared.tracing._otel",
    "shared.tracing._otel_context",
    "shared.tracing._scrub",
    "shared.tracing._otlp",
    "shared.tracing._wire",
)
APP_STARTUP_ONLY_NAMES = (
    "start_tracing",
    "flush_tracing",
    "stop_tracing",
    "build_provider",
    "ScrubbingExporter",
    "scrub_text",
    "scrubbed",
    "OtlpHttpExporter",
    "WireEncoder",
)
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)$")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(path: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            match = PIN.match(line)
            assert match, f"{path}: {line!r} is not pinned with =="
            pins[normalized(match[1])] = match[2]
    return pins


def project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        loaded: dict[str, object] = tomllib.load(handle)
    return loaded


def extras() -> dict[str, list[str]]:
    table = project()["project"]
    assert isinstance(table, dict)
    found: dict[str, list[str]] = table["optional-dependencies"]
    return found


def extra_pins(extra: str) -> dict[str, str]:
    """The extra's pins, with those of the extras it includes (``secretless-functions[x]``)."""
    pins: dict[str, str] = {}
    for requirement in extras()[extra]:
        included = re.fullmatch(r"secretless-functions\[([a-z,]+)\]", requirement)
        if included:
            for inner in included[1].split(","):
                pins |= extra_pins(inner)
        else:
            match = PIN.match(requirement)
            assert match, f"[{extra}]: {requirement!r} is not pinned with =="
            pins[normalized(match[1])] = match[2]
    return pins


@cache
def top_level_owners() -> dict[str, list[str]]:
    found = metadata.packages_distributions()
    return {top: [normalized(name) for name in names] for top, names in found.items()}


@cache
def owner(module: str) -> str | None:
    """The installed distribution that holds ``module``.

    A top-level name one distribution holds is that one's; a namespace package (``azure``)
    is shared, and its part is the distribution named like the longest prefix of the module
    (``azure.storage.blob.aio`` -> ``azure-storage-blob``), as every Azure SDK is. A namespace
    whose parts are not named like their modules (``opentelemetry.trace`` is
    ``opentelemetry-api``'s) resolves to the one distribution whose files hold the longest
    prefix of the module.
    """
    parts = module.split(".")
    holders = top_level_owners().get(parts[0], [])
    if len(holders) == 1:
        return holders[0]
    for n in range(len(parts), 1, -1):
        if (candidate := "-".join(parts[:n]).lower()) in holders:
            return candidate
    for n in range(len(parts), 1, -1):
        prefix = "/".join(parts[:n])
        found = [h for h in holders if any(_holds(f, prefix) for f in files_of(h))]
        if len(found) == 1:
            return found[0]
    return None


@cache
def files_of(distribution: str) -> tuple[str, ...]:
    return tuple(str(path) for path in metadata.distribution(distribution).files or ())


def _holds(path: str, prefix: str) -> bool:
    return path == f"{prefix}.py" or path.startswith(f"{prefix}/")


def optional_import_lines(source: str) -> set[int]:
    """Lines of the imports inside a ``try`` that catches ``ImportError``."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Try):
            continue
        caught = [ast.unparse(h.type) if h.type else "" for h in node.handlers]
        if any("ImportError" in c or "ModuleNotFoundError" in c for c in caught):
            for statement in node.body:
                for inner in ast.walk(statement):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        lines.add(inner.lineno)
    return lines


def distributions_imported_by(*roots: str, product: bool = False) -> dict[str, str]:
    """Distribution -> one module:line that imports it, for every import under ``roots``;
    for a ``product``, leaving out optional imports and what only the app's start-up loads."""
    files = []
    for root in roots:
        path = ROOT / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    found: dict[str, str] = {}
    for path in files:
        if product and module_name(path) in APP_STARTUP_ONLY:
            continue
        source = path.read_text(encoding="utf-8")
        optional = optional_import_lines(source) if product else set()
        for line, target in imported_modules(source, module_name(path)):
            top = target.split(".")[0]
            if not top or top in PROJECT_PACKAGES or top in sys.stdlib_module_names:
                continue
            if line in optional or (target == top and len(top_level_owners()[top]) > 1):
                continue  # optional, or a namespace package (its parts are imported by name)
            holder = owner(target)
            assert holder is not None, f"{module_name(path)}:{line}: no distribution has {target}"
            found.setdefault(holder, f"{module_name(path)}:{line} imports {target}")
    return found


@pytest.mark.slow
def test_the_import_owners_are_known_for_the_distributions_used() -> None:
    """The mapping the checks below stand on: a namespace package resolves to its part."""
    assert owner("azure.storage.blob.aio") == "azure-storage-blob"
    assert owner("azure.mgmt.resource.resources") == "azure-mgmt-resource"
    assert owner("jwt") == "pyjwt"
    assert owner("azure.no_such_sdk") is None
    assert owner("opentelemetry.trace.propagation.tracecontext") == "opentelemetry-api"
    assert owner("opentelemetry.sdk.trace.export") == "opentelemetry-sdk"
    assert owner("opentelemetry.no_such_part") is None
    found = distributions_imported_by("shared")
    assert {"azure-storage-blob", "azure-keyvault-secrets", "pyjwt"} <= found.keys()
    assert {"opentelemetry-api", "opentelemetry-sdk"} <= found.keys()
    assert "opentelemetry-sdk" not in distributions_imported_by("shared", product=True)


def test_an_import_that_may_fail_is_optional() -> None:
    source = "try:\n    import a\nexcept ImportError:\n    pass\nimport b\n"
    assert optional_import_lines(source) == {2}
    assert optional_import_lines(source.replace("ImportError", "ValueError")) == set()


def test_requirements_txt_holds_what_the_deployed_app_imports_and_nothing_else() -> None:
    deployed = requirement_pins("requirements.txt")
    imported = distributions_imported_by(*DEPLOYED)
    assert sorted(imported.keys() - deployed.keys() - LOCAL_ONLY.keys()) == [], imported
    unused = deployed.keys() - imported.keys() - RUNTIME_ONLY.keys()
    assert sorted(unused) == [], "pinned for the deployed app but imported by none of it"
    assert LOCAL_ONLY.keys() <= requirement_pins("requirements-dev.txt").keys()
    assert LOCAL_ONLY.keys() <= imported.keys(), "no longer imported: drop it from LOCAL_ONLY"


@pytest.mark.slow
def test_the_check_finds_a_dependency_that_only_a_tool_imports() -> None:
    """devstack's web stack is a dependency of no deployed module: the check would see it."""
    imported = distributions_imported_by("devstack")
    assert {"starlette", "uvicorn"} <= imported.keys()
    assert {"starlette", "uvicorn"} & distributions_imported_by(*DEPLOYED).keys() == set()


@pytest.mark.parametrize(
    ("extra", "roots"),
    [
        ("devstack", ("devstack",)),
        ("posture", ("posture", "shared")),
        ("migrate", ("migrate", "posture", "shared")),
    ],
)
@pytest.mark.slow
def test_each_product_extra_covers_what_its_code_imports(extra: str, roots: tuple[str]) -> None:
    imported = distributions_imported_by(*roots, product=True)
    missing = {name: where for name, where in imported.items() if name not in extra_pins(extra)}
    assert missing == {}


def test_every_extra_pins_what_the_requirements_files_pin() -> None:
    pinned = requirement_pins("requirements-dev.txt") | requirement_pins("requirements.txt")
    for extra in extras():
        differ = {
            name: (version, pinned.get(name))
            for name, version in extra_pins(extra).items()
            if pinned.get(name) != version
        }
        assert differ == {}, f"[{extra}] pins differ from the requirements files"


def test_posture_needs_nothing_the_deployed_app_does_not_have() -> None:
    """The posture timer runs inside the app: its extra is a part of requirements.txt."""
    deployed = requirement_pins("requirements.txt")
    assert {k: v for k, v in extra_pins("posture").items() if deployed.get(k) != v} == {}


def test_the_distribution_holds_the_products_and_their_library_only() -> None:
    tool = project()["tool"]
    assert isinstance(tool, dict)
    found = tool["setuptools"]["packages"]["find"]
    assert sorted(found["include"]) == ["devstack*", "migrate*", "posture*", "shared*"]
    scripts = project()["project"]
    assert isinstance(scripts, dict)
    assert scripts["scripts"] == {
        name: f"{name}.command:main" for name in ("devstack", "posture", "migrate")
    }


@pytest.mark.slow
def test_no_product_loads_what_only_the_app_s_start_up_loads() -> None:
    """What the product extras leave out is reached by none of the products' modules."""
    reached = []
    for root in ("devstack", "posture", "migrate", "shared"):
        for path in sorted((ROOT / root).rglob("*.py")):
            module = module_name(path)
            if module in APP_STARTUP_ONLY or module.startswith("shared.tracing"):
                continue  # the start-up itself, and the tracing package that offers it
            for line, target in imported_modules(path.read_text(encoding="utf-8"), module):
                name = target.rsplit(".", 1)[-1]
                if target in APP_STARTUP_ONLY or name in APP_STARTUP_ONLY_NAMES:
                    reached.append(f"{module}:{line} imports {target}")
    assert reached == []
