"""The project's azure-functions-doctor configuration stays true to the project.

azure-functions-doctor (pypi.org/project/azure-functions-doctor) reads
``[tool.azure-functions-doctor]`` in pyproject.toml: ``exclude`` path globs it does not scan,
``ignore`` rule ids it reports as suppressed. The tool is not a dependency (docs/devstack.md
says how to run it), so these tests hold what its configuration claims: only undeployed
folders are excluded, every suppressed rule is explained, and the one check it cannot make
here (blueprints registered under an alias) is made instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from devstack.runner import ROOT

_BLUEPRINTS = """
import importlib, json, pkgutil
import azure.functions as func
import blueprints
import function_app

hosted = {f.get_function_name() for f in function_app.app.get_functions()}
unregistered = {}
for info in pkgutil.iter_modules(blueprints.__path__):
    module = importlib.import_module(f"blueprints.{info.name}")
    for value in vars(module).values():
        if isinstance(value, func.Blueprint):
            probe = func.FunctionApp()
            probe.register_functions(value)
            names = {f.get_function_name() for f in probe.get_functions()}
            if names - hosted:
                unregistered[module.__name__] = sorted(names - hosted)
print(json.dumps(unregistered))
"""


def config() -> dict[str, Any]:
    table: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "azure-functions-doctor"
    ]
    return table


def funcignored() -> set[str]:
    lines = (ROOT / ".funcignore").read_text().splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")}


def test_only_folders_left_out_of_the_package_are_excluded() -> None:
    """Excluding a deployed folder would hide the app from the tool; every undeployed folder
    with Python in it is excluded, so its apps and servers are not read as the app's."""
    excluded = set(config()["exclude"])
    assert excluded <= funcignored()
    with_python = {
        folder.name
        for folder in ROOT.iterdir()
        if folder.is_dir()
        and folder.name in funcignored()
        and not folder.name.startswith(".")
        and folder.name != "node_modules"
        and any(folder.rglob("*.py"))
    }
    assert with_python <= excluded
    for deployed in ("blueprints", "shared", "posture", "function_app.py", "host.json"):
        assert deployed not in excluded


def test_every_suppressed_rule_is_explained_in_the_docs() -> None:
    page = (ROOT / "docs" / "devstack.md").read_text()
    section = page.split("## azure-functions-doctor", 1)[1].split("\n## ", 1)[0]
    for rule in config()["ignore"]:
        assert f"`{rule}`" in section, rule


def test_every_blueprint_but_the_example_is_registered() -> None:
    """What ``check_blueprint_registration`` cannot see through ``import bp as x``: each
    Blueprint in blueprints/ has its functions hosted by function_app (APP_FUNCTIONS
    ``all``, the sample settings), except notes, the example that is not deployed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDENTITY_", "AZURE_"))}
    env.update(json.loads((ROOT / "local.settings.sample.json").read_text())["Values"])
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", _BLUEPRINTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    unregistered = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(unregistered) == ["blueprints.notes"]
    assert Path(ROOT / "blueprints" / "notes.py").exists()
