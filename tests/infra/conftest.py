"""Fixtures for the offline checks of the azd template.

The Bicep parser (pycep-parser) and checkov live in their own venv, `.venv-infra`, made by
`make setup` from requirements-infra.txt. These fixtures run those tools once per session
in a subprocess and hand the results to the tests. A missing venv is a failure with the
fix in the message, never a silent skip: an unchecked template must not look green.
"""

from __future__ import annotations

import hashlib
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


DUMP_SCRIPT = Path(__file__).with_name("infra_dump.py")
CACHE_ENTRY = "infra/dump"


def dump_inputs() -> list[Path]:
    """Every file the dump reads or depends on: the script, the parser's pins, the Bicep
    files, azure.yaml and the workflows (infra_dump.py's own lists)."""
    files = [DUMP_SCRIPT, ROOT / "requirements-infra.txt", ROOT / "azure.yaml"]
    files += sorted(INFRA.rglob("*.bicep"))
    files += sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    return [path for path in files if path.is_file()]


def digest_of(paths: list[Path], root: Path) -> str:
    """A digest of each file's path (under ``root``) and bytes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def dump_key() -> str:
    """The digest of every input of the dump: equal keys, equal dumps."""
    return digest_of(dump_inputs(), ROOT)


@pytest.fixture(scope="session")
def dump(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Parsed Bicep trees and YAML documents (see infra_dump.py).

    Parsing every Bicep file takes a subprocess in the infra venv about 3 s, and each
    pytest-xdist worker that runs an infra test needs the result: it is kept in pytest's
    cache under a digest of every input (:func:`dump_key`), so a worker, or a run, that
    finds the same inputs reads it instead."""
    _require_infra_venv()
    cache = getattr(request.config, "cache", None)
    key = dump_key()
    kept = cache.get(CACHE_ENTRY, None) if cache is not None else None
    if isinstance(kept, dict) and kept.get("key") == key:
        cached: dict[str, Any] = kept["dump"]
        return cached
    proc = subprocess.run(
        [str(INFRA_PYTHON), str(DUMP_SCRIPT), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"infra_dump.py failed:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    if cache is not None:
        cache.set(CACHE_ENTRY, {"key": key, "dump": result})  # one entry, the latest inputs'
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
