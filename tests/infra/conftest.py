"""Fixtures for the offline checks of the azd template.

The Bicep parser (pycep-parser) and checkov live in their own venv, `.venv-infra`, made by
`make setup` from requirements-infra.txt. These fixtures run those tools once per session
in a subprocess and hand the results to the tests. A missing venv is a failure with the
fix in the message, never a silent skip: an unchecked template must not look green.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
INFRA_VENV = ROOT / ".venv-infra"
INFRA_PYTHON = INFRA_VENV / "bin" / "python"
CHECKOV = INFRA_VENV / "bin" / "checkov"
CHECKOV_CONFIG = INFRA / ".checkov.yaml"


def _require_infra_venv() -> None:
    missing = [p for p in (INFRA_PYTHON, CHECKOV) if not p.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(str(p.relative_to(ROOT)) for p in missing)} not found: the infra checks "
            "need the pinned tools of requirements-infra.txt. Run `make setup` (it creates "
            ".venv-infra), then run the tests again.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def dump() -> dict[str, Any]:
    """Parsed Bicep trees and YAML documents (see infra_dump.py)."""
    _require_infra_venv()
    proc = subprocess.run(
        [str(INFRA_PYTHON), str(Path(__file__).with_name("infra_dump.py")), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"infra_dump.py failed:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="session")
def bicep(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tree of every Bicep file by path relative to the repository (parse errors fail)."""
    trees: dict[str, dict[str, Any]] = {}
    for path, parsed in dump["bicep"].items():
        if "error" in parsed:
            pytest.fail(f"{path} does not parse: {parsed['error']}", pytrace=False)
        trees[path] = parsed["tree"]
    return trees


@pytest.fixture(scope="session")
def yaml_docs(dump: dict[str, Any]) -> dict[str, Any]:
    """azure.yaml and the workflow files, loaded."""
    docs: dict[str, Any] = dump["yaml"]
    return docs


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    """checkov's JSON report for infra/, run once with infra/.checkov.yaml."""
    _require_infra_venv()
    proc = subprocess.run(
        [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), "-d", str(INFRA), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    # checkov exits 1 when a check fails; the report says which. Anything else is a crash.
    assert proc.returncode in (0, 1), f"checkov crashed ({proc.returncode}):\n{proc.stderr}"
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    bicep_reports = [r for r in reports if r.get("check_type") == "bicep"]
    assert bicep_reports, f"checkov produced no bicep report: {proc.stdout[:500]}"
    found: dict[str, Any] = bicep_reports[0]
    found["stderr"] = proc.stderr
    return found


def parse_infra_copy(root: Path) -> dict[str, Any]:
    """Parse the infra/ folder of another root (a generated broken copy) like `dump` does."""
    return parse_infra_copies([root])[str(root)]


def parse_infra_copies(roots: list[Path]) -> dict[str, dict[str, Any]]:
    """Parse several generated copies in one run of infra_dump.py, keyed by str(root)."""
    _require_infra_venv()
    proc = subprocess.run(
        [str(INFRA_PYTHON), str(Path(__file__).with_name("infra_dump.py")), *map(str, roots)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"infra_dump.py failed:\n{proc.stderr}"
    loaded: dict[str, Any] = json.loads(proc.stdout)
    parsed: dict[str, dict[str, Any]] = loaded if len(roots) > 1 else {str(roots[0]): loaded}
    for root, result in parsed.items():
        errors = {p: v["error"] for p, v in result["bicep"].items() if "error" in v}
        assert not errors, f"the broken copy {root} does not even parse: {errors}"
    return parsed
